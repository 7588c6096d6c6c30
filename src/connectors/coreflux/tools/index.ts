// Every Coreflux / MQTT tool, in the order tools/list shows them.
import type { AnyTool } from '../../../core/tool.js';
import { brokerTools } from './broker.js';
import { copilotTools } from './copilot.js';
import { lotTools } from './lot.js';
import { mqttTools } from './mqtt.js';
import { subscriptionTools } from './subscriptions.js';

export const corefluxTools: AnyTool[] = [...lotTools, ...mqttTools, ...subscriptionTools, ...brokerTools, ...copilotTools];

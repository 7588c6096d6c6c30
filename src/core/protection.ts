// Settings that protect something, and the values that give that protection up. A settings file (.env or the
// --config file) may hold such a value, but never silently: start-up logs a warning and doctor warns, naming the
// file, because a file can come from somewhere the operator did not look (a cloned repository, a shared directory).
import type { Settings, SettingSource } from './config.js';

const OFF = new Set(['false', '0', 'no', 'off', 'never', 'none', '']);
const ON = new Set(['true', '1', 'yes', 'on']);
const isOff = (value: string): boolean => OFF.has(value.trim().toLowerCase());
const isOn = (value: string): boolean => ON.has(value.trim().toLowerCase());

interface ProtectiveSetting {
  /** The variable, or a pattern for one per connector. */
  name: string | RegExp;
  /** Whether this value gives the protection up. */
  weak: (value: string) => boolean;
  /** What the weak value does, completing "<NAME>=<value> from <file> ...". */
  effect: (value: string) => string;
  /**
   * Off is the default, so a weak value only counts when it overrides a protective one from a lower source
   * (the .env turning off what the config file turned on).
   */
  onlyOverriding?: boolean;
}

/** The one list: every setting that protects something, with the values that weaken it. */
export const PROTECTIVE_SETTINGS: readonly ProtectiveSetting[] = [
  { name: 'BASTION_CONFIRM_DESTRUCTIVE', weak: isOff, effect: () => 'lets destructive tools run without asking the person at the client' },
  { name: /^[A-Z0-9]+_VERIFY_SSL$/, weak: isOff, effect: () => 'turns TLS certificate verification off: connections can be intercepted' },
  { name: 'BASTION_AUDIT_LOG', weak: () => true, effect: (value) => `writes the audit log to ${value}` },
  { name: 'YOUTRACK_SECURITY_AUDIT_LOG', weak: () => true, effect: (value) => `writes the audit log to ${value}` },
  { name: 'BASTION_ALLOW_INSECURE_SECRET_FILES', weak: isOn, effect: () => 'accepts secret files that group or others can read' },
  { name: 'BASTION_ALLOW_LINK_LOCAL', weak: isOn, effect: () => 'lets Bastion connect to link-local and cloud-metadata addresses' },
  { name: 'BASTION_HTTP_AUTH', weak: isOff, effect: () => 'turns authentication of HTTP callers off' },
  { name: 'BASTION_HTTP_FORCE', weak: isOn, effect: () => 'lets the HTTP listener serve the network without TLS or authentication' },
  { name: 'BASTION_READ_ONLY', weak: isOff, onlyOverriding: true, effect: () => 'turns read-only mode off' },
  { name: 'MQTT_USE_TLS', weak: isOff, onlyOverriding: true, effect: () => 'turns TLS to the MQTT broker off' },
];

/** A protective setting given a weak value by a settings file. */
export interface Weakening {
  variable: string;
  value: string;
  file: string;
  /** One sentence: the variable, its value, the file and what it does. */
  message: string;
  fix: string;
}

const FILE_SOURCES: SettingSource[] = ['dotenv', 'config'];

/** Every protective setting whose weak value comes from the .env or the config file. */
export function weakeningsFromFiles(settings: Settings): Weakening[] {
  const found: Weakening[] = [];
  for (const [variable, value] of Object.entries(settings.values)) {
    const source = settings.sourceOf(variable);
    if (value === undefined || !source || !FILE_SOURCES.includes(source)) continue;
    const rule = PROTECTIVE_SETTINGS.find((entry) => (typeof entry.name === 'string' ? entry.name === variable : entry.name.test(variable)));
    if (!rule?.weak(value)) continue;
    if (rule.onlyOverriding) {
      const below = FILE_SOURCES.slice(FILE_SOURCES.indexOf(source) + 1).map((layer) => settings.valueIn(layer, variable));
      if (!below.some((lower) => lower !== undefined && !rule.weak(lower))) continue;
    }
    const file = (source === 'dotenv' ? settings.files?.dotenv : settings.files?.config) ?? source;
    found.push({
      variable,
      value,
      file,
      message: `${variable}=${value} from ${file} ${rule.effect(value)}`,
      fix: `if you did not mean this, remove ${variable} from ${file}; to keep it without this warning, set it in the environment Bastion is started with`,
    });
  }
  return found;
}

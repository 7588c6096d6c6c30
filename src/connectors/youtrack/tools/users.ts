// Who the token belongs to, and finding other users (for assignees and commands).
import { z } from 'zod';
import { readOnly, youtrackTool } from './shared.js';

export const getCurrentUser = youtrackTool({
  name: 'youtrack_get_current_user',
  title: 'Get current YouTrack user',
  description: 'Returns the YouTrack user the token belongs to: login, full name, e-mail, and whether it is a guest or banned. Use the login for "for <login>" commands and Assignee values.',
  inputSchema: z.object({}),
  outputSchema: z.object({ id: z.string(), login: z.string(), name: z.string().optional(), email: z.string().optional(), guest: z.boolean(), banned: z.boolean() }),
  annotations: readOnly,
  handler: async (_input, ctx) => {
    const me = await ctx.client.get<{ id: string; login: string; fullName?: string; email?: string | null; guest?: boolean; banned?: boolean }>(
      '/users/me',
      'id,login,fullName,email,guest,banned',
      undefined,
      ctx.signal,
    );
    return { id: me.id, login: me.login, name: me.fullName, email: me.email ?? undefined, guest: me.guest === true, banned: me.banned === true };
  },
  render: (out) => `${out.name ?? out.login} (${out.login}, id ${out.id})${out.email ? ` <${out.email}>` : ''}${out.guest ? ', guest' : ''}${out.banned ? ', banned' : ''}`,
});

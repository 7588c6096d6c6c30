// The browser's part on Bastion's connect page (/connect/<connector>): open the link, keep the cookie, read the
// form; submit it with the cookie and the page's Origin.

export interface Form {
  status: number;
  html: string;
  cookie?: string;
  csrf?: string;
  action?: string;
}

/** What a browser does with the link: GET, keep the cookie, read the form. */
export async function open(link: string): Promise<Form> {
  const response = await fetch(link);
  const html = await response.text();
  const cookie = response.headers.get('set-cookie')?.split(';')[0];
  return { status: response.status, html, cookie, csrf: /name="csrf" value="([^"]+)"/.exec(html)?.[1], action: /<form method="post" action="([^"]+)"/.exec(html)?.[1] };
}

/** What a browser does on submit: POST the form to its action, with the cookie and the page's Origin. */
export async function submit(link: string, form: Form, fields: Record<string, string>, headers: Record<string, string | undefined> = {}): Promise<{ status: number; html: string }> {
  const target = new URL(form.action ? form.action.replaceAll('&amp;', '&') : link, link);
  const sent: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', origin: target.origin, ...(form.cookie ? { cookie: form.cookie } : {}) };
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) delete sent[name];
    else sent[name] = value;
  }
  const response = await fetch(target, { method: 'POST', headers: sent, body: new URLSearchParams({ ...(form.csrf ? { csrf: form.csrf } : {}), action: 'link', ...fields }) });
  return { status: response.status, html: await response.text() };
}

// Attachment content for the model (core/attachment.ts): what each kind of file becomes, and the download cap,
// enforced while the content streams in (a loopback server that sends more than it declares, in chunks).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliverFile, downloadAttachment, imageType, scrubMedia, type MediaContent } from '../../src/core/attachment.js';
import { clearRegisteredSecrets, registerSecret } from '../../src/core/redact.js';
import { HttpClient } from '../../src/core/http.js';

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46]);
const WEBP = Buffer.concat([Buffer.from('RIFF'), Buffer.from([0x1a, 0, 0, 0]), Buffer.from('WEBPVP8 ')]);

function deliver(name: string, bytes: Buffer, declaredType?: string) {
  const attached: MediaContent[] = [];
  const result = deliverFile({ name, declaredType, uri: 'https://redmine.example/attachments/1', bytes }, (c) => attached.push(c), { maxChars: 50, howToGetMore: 'ask for more' });
  return { result, attached };
}

describe('deliverFile', () => {
  it('sends PNG, JPEG, GIF and WebP as images by their bytes, whatever their name or declared type', () => {
    expect(imageType(JPEG)).toBe('image/jpeg');
    expect(imageType(WEBP)).toBe('image/webp');
    expect(imageType(Buffer.from('GIF89a....'))).toBe('image/gif');
    const { result, attached } = deliver('screenshot', PNG, 'application/octet-stream');
    expect(result).toEqual({ kind: 'image', mime_type: 'image/png' });
    expect(attached).toEqual([{ type: 'image', data: PNG.toString('base64'), mimeType: 'image/png' }]);
  });

  it('does not send what only claims to be an image as one, nor label it an image', () => {
    const { result, attached } = deliver('evil.png', Buffer.from('<script>alert(1)</script>'), 'image/png');
    expect(result.kind).toBe('resource');
    expect(attached).toEqual([{ type: 'resource', resource: { uri: 'https://redmine.example/attachments/1', mimeType: 'application/octet-stream', blob: Buffer.from('<script>alert(1)</script>').toString('base64') } }]);
    // An SVG is no image the model reads (and may carry scripts): a plain embedded file.
    expect(deliver('logo.svg', Buffer.from('<svg/>'), 'image/svg+xml').result).toEqual({ kind: 'resource', mime_type: 'application/octet-stream' });
  });

  it('sends text (by type or extension, valid UTF-8) as text, cut at maxChars, and nothing attached', () => {
    const log = deliver('app.log', Buffer.from('x'.repeat(80)), 'application/octet-stream');
    expect(log.attached).toEqual([]);
    expect(log.result.kind).toBe('text');
    expect(log.result.text).toBe(`${'x'.repeat(50)}… [truncated: 30 more characters; ask for more]`);
    expect(deliver('data', Buffer.from('{"a":1}'), 'application/json; charset=utf-8').result).toEqual({ kind: 'text', mime_type: 'application/json', text: '{"a":1}' });
    // Invalid UTF-8 or NUL bytes are not text, whatever the declared type.
    expect(deliver('broken.txt', Buffer.from([0x66, 0xff, 0xfe]), 'text/plain').result).toEqual({ kind: 'resource', mime_type: 'application/octet-stream' });
    expect(deliver('nul.log', Buffer.from('a\u0000b'), 'text/plain').result.kind).toBe('resource');
  });

  it('sends other files as an embedded resource with their declared type', () => {
    const { result, attached } = deliver('report.pdf', Buffer.from('%PDF-1.7\n\u00ff'), 'application/pdf');
    expect(result).toEqual({ kind: 'resource', mime_type: 'application/pdf' });
    expect(attached[0]).toMatchObject({ type: 'resource', resource: { mimeType: 'application/pdf' } });
  });
});

describe('downloadAttachment', () => {
  let server: Server;
  let client: HttpClient;
  let sent = 0;
  beforeAll(async () => {
    // Sends up to 10 MB in 64 KiB chunks without a Content-Length: only reading can find out it is too large.
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const chunk = Buffer.alloc(65_536, 0x61);
      const push = (): void => {
        while (sent < 10_000_000) {
          sent += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', push);
            return;
          }
        }
        res.end();
      };
      res.on('error', () => {});
      push();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    client = new HttpClient({ service: 'Redmine', baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, maxRetries: 0 });
  });
  afterAll(async () => {
    await client.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('refuses by the declared size before any request', async () => {
    const before = sent;
    await expect(downloadAttachment(client, { method: 'GET', path: '/f' }, { name: 'big.zip', size: 2_000_000 }, 1_000_000)).rejects.toThrow(
      'Attachment "big.zip" is 2000000 bytes, more than the 1000000-byte limit for downloads (BASTION_ATTACHMENT_MAX_BYTES); nothing was downloaded.',
    );
    expect(sent).toBe(before);
  });

  it('stops reading at the cap when the server sends more than declared', async () => {
    const error = await downloadAttachment(client, { method: 'GET', path: '/f' }, { name: 'small.log', size: 10 }, 100_000).then(
      () => new Error('downloaded'),
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(Error);
    const atLeast = Number(/is at least (\d+) bytes/.exec(error.message)?.[1]);
    // Read a little past the cap (what arrived in one piece), not the 10 MB on offer.
    expect(atLeast).toBeGreaterThan(100_000);
    expect(atLeast).toBeLessThan(1_000_000);
    expect(error.message).toContain('"small.log"');
    expect(error.message).toContain('BASTION_ATTACHMENT_MAX_BYTES');
  });
});

describe('scrubMedia', () => {
  const secret = 'Zq8vN3tX5pL0wR7yK2mB9cF4hJ6dS1aE';
  beforeAll(() => registerSecret(secret));
  afterAll(() => clearRegisteredSecrets());

  it('scrubs a known secret out of a file\'s bytes, and withholds an image that holds one', () => {
    const file = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.from(`key=${secret};`)]);
    const scrubbed = scrubMedia({ type: 'resource', resource: { uri: 'u', mimeType: 'application/zip', blob: file.toString('base64') } });
    expect(scrubbed.type).toBe('resource');
    const blob = Buffer.from((scrubbed as { resource: { blob: string } }).resource.blob, 'base64').toString('latin1');
    expect(blob).not.toContain(secret);
    expect(blob).toContain('[REDACTED]');
    const image = Buffer.concat([PNG, Buffer.from(secret)]).toString('base64');
    expect(scrubMedia({ type: 'image', data: image, mimeType: 'image/png' })).toEqual({ type: 'text', text: '[image withheld: its bytes contain a credential Bastion holds]' });
    const clean = { type: 'image' as const, data: PNG.toString('base64'), mimeType: 'image/png' };
    expect(scrubMedia(clean)).toBe(clean);
  });
});

// Attachment content for the model, for every connector: downloaded bytes become an MCP image (PNG, JPEG, GIF,
// WebP, recognised by their bytes), text (valid UTF-8 of a text type, handled as untrusted upstream text), or an
// embedded resource (anything else). Downloads stop at the operator's cap (BASTION_ATTACHMENT_MAX_BYTES).
import { InputError } from './errors.js';
import type { HttpClient, RequestOptions } from './http.js';
import { redactBytes } from './redact.js';
import { clip } from './untrusted.js';

export const DEFAULT_ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024;

/** Content a tool adds to its result beside the text: the pipeline sends it as it is (binary is not text to scrub). */
export type MediaContent =
  | { type: 'image'; data: string; mimeType: string }
  | { type: 'resource'; resource: { uri: string; mimeType: string; blob: string } };

/**
 * Binary content as it may leave: a file's bytes with every known secret scrubbed (as MQTT payloads are); an image
 * that holds one is withheld whole, since changed bytes would no longer be a picture.
 */
export function scrubMedia(content: MediaContent): MediaContent | { type: 'text'; text: string } {
  if (content.type === 'image') {
    const bytes = Buffer.from(content.data, 'base64');
    return redactBytes(bytes) === bytes ? content : { type: 'text', text: '[image withheld: its bytes contain a credential Bastion holds]' };
  }
  const bytes = Buffer.from(content.resource.blob, 'base64');
  const scrubbed = redactBytes(bytes);
  return scrubbed === bytes ? content : { type: 'resource', resource: { ...content.resource, blob: scrubbed.toString('base64') } };
}

// The signatures of the image formats models read. A declared type is not trusted: an HTML page or a script named
// "screenshot.png" is not sent as an image.
const IMAGE_SIGNATURES: Array<{ mimeType: string; test: (b: Buffer) => boolean }> = [
  { mimeType: 'image/png', test: (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) },
  { mimeType: 'image/jpeg', test: (b) => b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  { mimeType: 'image/gif', test: (b) => /^GIF8[79]a$/.test(b.subarray(0, 6).toString('latin1')) },
  { mimeType: 'image/webp', test: (b) => b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP' },
];

/** The image type the bytes are (by their signature), or undefined. */
export function imageType(bytes: Buffer): string | undefined {
  return IMAGE_SIGNATURES.find((signature) => signature.test(bytes))?.mimeType;
}

const TEXT_TYPES = /^(?:text\/.+|application\/(?:json|xml|x?-?yaml|javascript|x-sh|x-ndjson|csv|sql|toml|x-log)|application\/[\w.-]+\+(?:json|xml|yaml))$/;
const TEXT_EXTENSIONS = /\.(?:txt|log|md|markdown|csv|tsv|json|ndjson|xml|ya?ml|ini|conf|cfg|toml|properties|sh|sql|diff|patch|out|err|trace)$/i;

function baseType(declared: string | null | undefined): string {
  return (declared ?? '').split(';')[0]!.trim().toLowerCase();
}

/** The bytes as text, when they are valid UTF-8 without NUL bytes (which no text file holds). */
function asText(bytes: Buffer): string | undefined {
  if (bytes.includes(0)) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

export interface FileForModel {
  /** The file's name, as upstream names it. */
  name: string;
  /** The content type upstream declares (not trusted for images). */
  declaredType?: string | null;
  /** Where the file lives (the upstream's web address): the embedded resource's URI. */
  uri: string;
  bytes: Buffer;
}

/** What a download tool reports: the kind sent, its type, and the text itself for text files. */
export interface FileDelivery {
  kind: 'image' | 'text' | 'resource';
  mime_type: string;
  /** Text files only: the text, cut at maxChars, as upstream text (cleaned, scrubbed and fenced by the pipeline). */
  text?: string;
}

/**
 * Sends a downloaded file to the model the way it can read it: an image as image content, text as (untrusted)
 * text in the result, anything else as an embedded resource. Binary content goes through `attach`.
 */
export function deliverFile(file: FileForModel, attach: (content: MediaContent) => void, options: { maxChars: number; howToGetMore: string }): FileDelivery {
  const image = imageType(file.bytes);
  if (image) {
    attach({ type: 'image', data: file.bytes.toString('base64'), mimeType: image });
    return { kind: 'image', mime_type: image };
  }
  const declared = baseType(file.declaredType);
  const textType = TEXT_TYPES.test(declared) || TEXT_EXTENSIONS.test(file.name);
  const untyped = declared === '' || declared === 'application/octet-stream';
  const text = textType || untyped ? asText(file.bytes) : undefined;
  // An untyped file is text when it starts as plain text (a log without an extension, say).
  if (text !== undefined && (textType || /^[\t\n\r\x20-\x7E]*$/.test(text.slice(0, 4096)))) {
    return { kind: 'text', mime_type: TEXT_TYPES.test(declared) ? declared : 'text/plain', text: clip(text, options.maxChars, options.howToGetMore) };
  }
  // Never labelled as an image or as text the bytes are not: a client could render it as one.
  const mimeType = /^[\w.+-]+\/[\w.+-]+$/.test(declared) && !/^(?:image|text)\//.test(declared) ? declared : 'application/octet-stream';
  attach({ type: 'resource', resource: { uri: file.uri, mimeType, blob: file.bytes.toString('base64') } });
  return { kind: 'resource', mime_type: mimeType };
}

// Checked together with length % 4 === 0; a flat class (no repeated group) so megabytes do not exhaust the regex stack.
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The bytes of file content a tool receives for upload: text as UTF-8, or base64 (binary files). */
export function decodeContent(content: string, encoding: 'base64' | 'text'): Buffer {
  if (encoding === 'text') return Buffer.from(content, 'utf8');
  // Line breaks and spaces are common in wrapped base64; anything else is refused rather than silently dropped.
  const compact = content.replace(/\s+/g, '');
  if (!compact.length || compact.length % 4 !== 0 || !BASE64.test(compact)) {
    throw new InputError('content is not valid base64 (standard alphabet A-Z a-z 0-9 + /, padded with = to a multiple of 4). Send encoding "text" for plain text.');
  }
  return Buffer.from(compact, 'base64');
}

/** Why an attachment is not downloaded: its name, its size and the setting that allows more. */
export function attachmentTooLarge(name: string, size: number, maxBytes: number, exact: boolean): string {
  return (
    `Attachment "${name}" is ${exact ? '' : 'at least '}${size} bytes, more than the ${maxBytes}-byte limit for downloads ` +
    '(BASTION_ATTACHMENT_MAX_BYTES); nothing was downloaded. Open its link instead, or ask the operator to raise BASTION_ATTACHMENT_MAX_BYTES.'
  );
}

/**
 * Downloads an attachment's bytes under the cap: refused before any download when its declared size is above it,
 * and cut off while reading when the server sends more than it declared.
 */
export async function downloadAttachment(
  http: HttpClient,
  request: Omit<RequestOptions, 'maxBytes' | 'tooLargeMessage'>,
  file: { name: string; size?: number },
  maxBytes: number,
): Promise<Buffer> {
  if (file.size !== undefined && file.size > maxBytes) throw new InputError(attachmentTooLarge(file.name, file.size, maxBytes, true));
  const response = await http.request({ ...request, maxBytes, tooLargeMessage: (size) => attachmentTooLarge(file.name, size, maxBytes, false) });
  return response.body;
}

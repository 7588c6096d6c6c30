// YouTrack permanent tokens: "perm:" (or the older "perm-") + base64(login) + "." + base64(token name) + "." + secret.
// The base64 parts keep "=" padding and may hold "+" and "/". The middle part names the token, not a workspace.

const ALLOWED = /^perm[:-][A-Za-z0-9+/=._-]+$/;
const BASE64_PART = /^[A-Za-z0-9+/_-]+={0,2}$/;

/** Why the value is not a YouTrack permanent token, or undefined when it is one. Never includes the value. */
export function youtrackTokenProblem(token: string): string | undefined {
  if (!/^perm[:-]/.test(token)) return 'a YouTrack permanent token starts with "perm:" (Profile > Account Security > New token)';
  if (!ALLOWED.test(token)) return 'it contains characters a permanent token cannot have (allowed: letters, digits, + / = . _ -)';
  const parts = token.slice('perm:'.length).split('.');
  // The secret part is opaque: only the two leading base64 parts are checked, so a secret with dots still passes.
  if (parts.length < 3 || parts.some((part) => part.length === 0)) {
    return 'expected three parts separated by dots: perm:<base64 login>.<base64 token name>.<secret>';
  }
  if (!BASE64_PART.test(parts[0]!) || !BASE64_PART.test(parts[1]!)) return 'the login and token-name parts must be base64';
  return undefined;
}

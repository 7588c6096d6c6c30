// A lock between processes (and threads) that share one file, for short synchronous critical sections such as an
// audit append. Taking it is one hard link: each holder keeps a small file of its own, "<file>.lock.<id>", holding
// its pid and host, and links it to "<file>.lock"; link() fails while another holder's link is there. Releasing is
// one unlink. A lock whose holder died (same host, pid gone) or that is older than a bound is taken over.
import { randomBytes } from 'node:crypto';
import { linkSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';

/** A lock older than this is stale whatever its holder: the sections it guards last microseconds. */
const STALE_MS = 10_000;
const POLL_MS = 1;
const HOST = hostname();
const sleeper = new Int32Array(new SharedArrayBuffer(4));
/** Locks whose holder file exists: removed when the process ends normally (dead holders' files are swept later). */
const live = new Set<FileLock>();
let exitHook = false;

interface Holder {
  pid?: unknown;
  host?: unknown;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A holder that died: only judged on the host that wrote it (containers sharing a volume have their own pids). */
function deadHolder(holder: Holder): boolean {
  return holder.host === HOST && typeof holder.pid === 'number' && holder.pid !== process.pid && !alive(holder.pid);
}

function readHolder(path: string): Holder | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Holder;
  } catch {
    return undefined;
  }
}

export class FileLock {
  readonly lockPath: string;
  private readonly own: string;
  private ownWritten = false;

  constructor(readonly path: string) {
    this.lockPath = `${path}.lock`;
    this.own = `${this.lockPath}.${randomBytes(6).toString('hex')}`;
    this.sweep();
  }

  /** Runs `section` while holding the lock. */
  hold<T>(section: () => T): T {
    this.take();
    try {
      return section();
    } finally {
      unlinkSync(this.lockPath);
    }
  }

  /** Removes this holder's own file (at shutdown); the lock itself is never held between sections. */
  dispose(): void {
    if (!this.ownWritten) return;
    this.ownWritten = false;
    live.delete(this);
    try {
      unlinkSync(this.own);
    } catch {
      // Already gone (its directory was removed, say): nothing to clean.
    }
  }

  private take(): void {
    if (!this.ownWritten) {
      writeFileSync(this.own, JSON.stringify({ pid: process.pid, host: HOST }), { mode: 0o600, flag: 'wx' });
      this.ownWritten = true;
      if (!exitHook) process.once('exit', () => live.forEach((lock) => lock.dispose()));
      exitHook = true;
      live.add(this);
    }
    const giveUpAt = Date.now() + STALE_MS * 2;
    for (;;) {
      try {
        linkSync(this.own, this.lockPath);
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      if (!this.breakStale() && Date.now() > giveUpAt) {
        throw new Error(`${this.path} stays locked by ${this.lockPath}; if no Bastion process is running, remove that file.`);
      }
      Atomics.wait(sleeper, 0, 0, POLL_MS);
    }
  }

  /** Removes the lock when its holder died or has held it far too long; true when it did. */
  private breakStale(): boolean {
    let inode: number;
    let since: number;
    try {
      // link() sets the ctime of the holder's file: the time the lock was taken.
      ({ ino: inode, ctimeMs: since } = statSync(this.lockPath));
    } catch {
      return false;
    }
    const holder = readHolder(this.lockPath);
    if (!(holder && deadHolder(holder)) && Date.now() - since < STALE_MS) return false;
    // Moved aside, then dropped only if it is still the lock judged stale: another process may have broken it and
    // taken a fresh one in between, which is put back (unless yet another was taken meanwhile).
    const aside = `${this.own}.stale`;
    try {
      renameSync(this.lockPath, aside);
      if (statSync(aside).ino !== inode) linkSync(aside, this.lockPath);
      unlinkSync(aside);
    } catch {
      return false;
    }
    return true;
  }

  /** Removes the holder files that dead processes of this host left behind. */
  private sweep(): void {
    const prefix = `${basename(this.lockPath)}.`;
    let names: string[];
    try {
      names = readdirSync(dirname(this.path)).filter((name) => name.startsWith(prefix));
    } catch {
      return;
    }
    for (const name of names) {
      const file = join(dirname(this.path), name);
      const holder = readHolder(file);
      if (holder && deadHolder(holder)) {
        try {
          unlinkSync(file);
        } catch {
          // Removed by another process's sweep.
        }
      }
    }
  }
}

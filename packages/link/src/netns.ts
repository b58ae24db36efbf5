/**
 * Network namespaces: open a socket or device inside another namespace. `setns(CLONE_NEWNET)`
 * moves only the calling thread (and is allowed in a multithreaded process); a socket keeps
 * the namespace it was created in, so the thread can switch back at once.
 */
import { LinkError, LinkErrorCode } from './errors.js';
import { C, Errno, fail, libc } from './sys.js';

/** `/run/netns/<name>` for a bare name (what `ip netns add` creates), else the path as given. */
export function netnsPath(netns: string): string {
  return netns.includes('/') ? netns : `/run/netns/${netns}`;
}

/**
 * Runs `fn` with the calling thread in network namespace `netns` (a name under /run/netns or
 * a path such as /proc/<pid>/ns/net), then returns the thread to where it was. `fn` must be
 * synchronous: an await would let other code run inside the namespace.
 */
export function withNetns<T>(netns: string | undefined, fn: () => T): T {
  if (netns === undefined) return fn();
  const sys = libc();
  const flags = C.O_RDONLY | C.O_CLOEXEC;
  const target = sys.open(netnsPath(netns), flags);
  if (target < 0) {
    const errno = sys.errno();
    if (errno === Errno.ENOENT)
      throw new LinkError(LinkErrorCode.NO_INTERFACE, `no such network namespace: ${netns}`, 'open', errno);
    fail('open', errno, netnsPath(netns));
  }
  const home = sys.open('/proc/thread-self/ns/net', flags);
  if (home < 0) {
    const errno = sys.errno();
    sys.close(target);
    fail('open', errno, '/proc/thread-self/ns/net');
  }
  try {
    if (sys.setns(target, C.CLONE_NEWNET) < 0) fail('setns', sys.errno(), netns);
    try {
      return fn();
    } finally {
      // Returning home can only fail if the kernel lost our own namespace: nothing sane to do but stop.
      if (sys.setns(home, C.CLONE_NEWNET) < 0) fail('setns', sys.errno(), 'back to the original namespace');
    }
  } finally {
    sys.close(target);
    sys.close(home);
  }
}

/**
 * Typed errors for operating-system failures. Bad arguments throw `@switchyard/wire`'s
 * `InvalidArgumentError` (layer `link`) like every other package; what the kernel refuses
 * ends here, with the syscall and errno that failed.
 */

/** Stable error codes, one per failure kind. */
export const LinkErrorCode = {
  /** No CAP_NET_RAW / CAP_NET_ADMIN. */
  PERMISSION: 'ERR_LINK_PERMISSION',
  /** The interface (or network namespace) does not exist. */
  NO_INTERFACE: 'ERR_LINK_NO_INTERFACE',
  /** A syscall failed for another reason. */
  SYSCALL: 'ERR_LINK_SYSCALL',
  /** The platform cannot run this package (not 64-bit Linux). */
  UNSUPPORTED: 'ERR_LINK_UNSUPPORTED',
  /** The link was closed. */
  CLOSED: 'ERR_LINK_CLOSED',
} as const;
export type LinkErrorCode = (typeof LinkErrorCode)[keyof typeof LinkErrorCode];

/** Base class of every operating-system error this package throws. */
export class LinkError extends Error {
  override readonly name: string = 'LinkError';
  readonly code: LinkErrorCode;
  /** The libc call that failed, when one did. */
  readonly syscall: string | undefined;
  /** Its errno, when one did. */
  readonly errno: number | undefined;

  constructor(code: LinkErrorCode, message: string, syscall?: string, errno?: number) {
    super(message);
    this.code = code;
    this.syscall = syscall;
    this.errno = errno;
  }
}

/** EPERM/EACCES: the process lacks CAP_NET_RAW (packet sockets) or CAP_NET_ADMIN (TAP, ioctls). */
export class LinkPermissionError extends LinkError {
  override readonly name = 'LinkPermissionError';
  constructor(message: string, syscall: string, errno: number) {
    super(LinkErrorCode.PERMISSION, message, syscall, errno);
  }
}

/** The named interface does not exist (in the namespace the link was opened in). */
export class NoSuchInterfaceError extends LinkError {
  override readonly name = 'NoSuchInterfaceError';
  readonly interfaceName: string;
  constructor(interfaceName: string, errno?: number) {
    super(LinkErrorCode.NO_INTERFACE, `no such interface: ${interfaceName}`, 'ioctl(SIOCGIFINDEX)', errno);
    this.interfaceName = interfaceName;
  }
}

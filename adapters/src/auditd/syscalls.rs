//! The syscalls the adapter maps, by number per architecture (and by name for ENRICHED logs).

/// A syscall the adapter turns into events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syscall {
    /// execve / execveat.
    Exec,
    /// fork / vfork: always a new process.
    Fork,
    /// clone: a new process unless `CLONE_THREAD` is in the flags (`a0`).
    Clone,
    /// clone3: the flags are in a struct in user memory, not in the record.
    Clone3,
    /// connect.
    Connect,
    /// open / openat / openat2 / creat: a write when a PATH record has `nametype=CREATE`.
    Open,
    /// rename / renameat / renameat2.
    Rename,
    /// setxattr / lsetxattr / fsetxattr.
    SetXattr,
    /// exit_group: the process ends.
    ExitGroup,
}

/// `arch=` of x86_64.
pub const ARCH_X86_64: u64 = 0xc000_003e;
/// `arch=` of aarch64.
pub const ARCH_AARCH64: u64 = 0xc000_00b7;

/// The syscall `nr` on `arch`, when it is one the adapter maps.
pub fn lookup(arch: u64, nr: u64) -> Option<Syscall> {
    use Syscall::*;
    match arch {
        ARCH_X86_64 => match nr {
            59 | 322 => Some(Exec),
            57 | 58 => Some(Fork),
            56 => Some(Clone),
            435 => Some(Clone3),
            42 => Some(Connect),
            2 | 85 | 257 | 437 => Some(Open),
            82 | 264 | 316 => Some(Rename),
            188..=190 => Some(SetXattr),
            231 => Some(ExitGroup),
            _ => None,
        },
        // The generic syscall table (asm-generic/unistd.h): no fork, vfork, open, creat, rename.
        ARCH_AARCH64 => match nr {
            221 | 281 => Some(Exec),
            220 => Some(Clone),
            435 => Some(Clone3),
            203 => Some(Connect),
            56 | 437 => Some(Open),
            38 | 276 => Some(Rename),
            5..=7 => Some(SetXattr),
            94 => Some(ExitGroup),
            _ => None,
        },
        _ => None,
    }
}

/// The syscall named `name` (the ENRICHED `SYSCALL=` field), for architectures without a table.
pub fn by_name(name: &str) -> Option<Syscall> {
    use Syscall::*;
    match name {
        "execve" | "execveat" => Some(Exec),
        "fork" | "vfork" => Some(Fork),
        "clone" => Some(Clone),
        "clone3" => Some(Clone3),
        "connect" => Some(Connect),
        "open" | "openat" | "openat2" | "creat" => Some(Open),
        "rename" | "renameat" | "renameat2" => Some(Rename),
        "setxattr" | "lsetxattr" | "fsetxattr" => Some(SetXattr),
        "exit_group" => Some(ExitGroup),
        _ => None,
    }
}

/// `CLONE_THREAD`: the clone made a thread of the same process, not a process.
pub const CLONE_THREAD: u64 = 0x0001_0000;

/// `AT_FDCWD` as printed in `a0`/`a2` (-100 as an unsigned 32- or 64-bit number).
pub fn is_at_fdcwd(raw: u64) -> bool {
    raw == 0xffff_ff9c || raw == 0xffff_ffff_ffff_ff9c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_arches_and_names() {
        assert_eq!(lookup(ARCH_X86_64, 59), Some(Syscall::Exec));
        assert_eq!(lookup(ARCH_AARCH64, 221), Some(Syscall::Exec));
        assert_eq!(lookup(ARCH_AARCH64, 59), None);
        assert_eq!(lookup(ARCH_X86_64, 316), Some(Syscall::Rename));
        assert_eq!(lookup(ARCH_AARCH64, 276), Some(Syscall::Rename));
        assert_eq!(lookup(0x4000_0003, 11), None);
        assert_eq!(by_name("renameat2"), Some(Syscall::Rename));
        assert!(is_at_fdcwd(0xffffff9c));
    }
}

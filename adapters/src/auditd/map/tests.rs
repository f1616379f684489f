use super::*;
use crate::auditd::argv::command_line;

#[test]
fn join_resolves_dots_and_slashes() {
    assert_eq!(join("/home/alice", "Downloads/x.sh.part"), "/home/alice/Downloads/x.sh.part");
    assert_eq!(join("/home/alice/tmp", "../Downloads//./x.sh"), "/home/alice/Downloads/x.sh");
    assert_eq!(join("/home/alice", "/etc/passwd"), "/etc/passwd");
    assert_eq!(join("/", "../../x"), "/x");
}

#[test]
fn command_line_quotes_arguments_with_spaces() {
    let argv = [b"firefox".to_vec(), b"https://a.top/x y".to_vec(), b"".to_vec(), b"https://b.top/".to_vec()];
    assert_eq!(command_line(&argv), r#"firefox "https://a.top/x y" "" https://b.top/"#);
}

#[test]
fn resolve_refuses_dirfd_relative_names() {
    assert_eq!(resolve("x", Some(5), Some("/home")), Err("path_relative_to_dirfd"));
    assert_eq!(resolve("x", Some(0xffffff9c), Some("/home")), Ok("/home/x".to_owned()));
    assert_eq!(resolve("x", None, None), Err("relative_path_without_cwd"));
    assert_eq!(resolve("/a/./b", Some(5), None), Ok("/a/b".to_owned()));
}

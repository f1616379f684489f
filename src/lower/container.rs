//! Where a file sits relative to archives and disk images: is a started program inside what a
//! written archive unpacked or a written disk image mounted (`container_exec`), and does a
//! written file itself sit in such a place (`write_container`). Pure functions of normalised
//! paths (`crate::paths`), by the path forms of `docs/rules.md` ("Facts").

use clickchain_adapters::Os;
use clickchain_logic::{ContainerKind, ExtClass};

/// The container a program at `exec` runs from, if it is inside what the archive or disk
/// image written at `write` (of class `class`) unpacked or mounted. Both paths normalised.
pub(crate) fn exec_inside(os: Os, exec: &str, write: &str, class: ExtClass) -> Option<ContainerKind> {
    let (dir, name) = split(os, write)?;
    match class {
        ExtClass::Archive => {
            if let Some(temp) = archive_temp(os, exec) {
                // Explorer names its folder after the archive; 7-Zip and WinRAR do not.
                return temp.is_none_or(|archive| archive == name).then_some(ContainerKind::ArchiveTemp);
            }
            let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
            let inside = exec.strip_prefix(dir)?.strip_prefix(sep(os))?.strip_prefix(stem)?;
            // `<stem>/...`, or an app bundle unpacked next to the archive (`<stem>.app/...`).
            let inside = inside.strip_prefix(".app").unwrap_or(inside);
            inside.starts_with(sep(os)).then_some(ContainerKind::ExtractedFolder)
        }
        ExtClass::DiskImage => mounted(os, exec).then_some(ContainerKind::MountedVolume),
        _ => None,
    }
}

/// Whether the container `exec` runs from names the written file `write` (both normalised),
/// rather than fitting any download of its class: Explorer's `Temp1_<archive>` folder, a folder
/// named after the archive, a volume whose name is the disk image's stem (`/Volumes/Tool` for
/// `Tool.dmg`). A drive letter, 7-Zip's or WinRAR's temp folder name no file.
pub(crate) fn names_its_file(os: Os, exec: &str, write: &str) -> bool {
    let Some((_, name)) = split(os, write) else { return false };
    if let Some(temp) = archive_temp(os, exec) {
        return temp.is_some();
    }
    if !mounted(os, exec) {
        return true;
    }
    let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
    volume_name(os, exec).is_some_and(|v| loose(v) == loose(stem))
}

/// The name of the volume a mounted path is on (macOS `/volumes/<name>/`, Linux
/// `/media/<user>/<label>/` or `/run/media/<user>/<label>/`); Windows drive letters have none.
fn volume_name(os: Os, path: &str) -> Option<&str> {
    let rest = match os {
        Os::Windows => return None,
        Os::Macos => path.strip_prefix("/volumes/")?,
        Os::Linux => {
            let rest = path.strip_prefix("/media/").or_else(|| path.strip_prefix("/run/media/"))?;
            rest.split_once('/')?.1
        }
    };
    rest.split('/').next()
}

/// A name compared loosely: letters and digits only, lowercase (`Tool 1.2` and `tool-1.2`).
fn loose(name: &str) -> String {
    name.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
}

/// The container a written file at `path` (normalised) itself sits in, if any.
pub(crate) fn location(os: Os, path: &str) -> Option<ContainerKind> {
    if archive_temp(os, path).is_some() {
        Some(ContainerKind::ArchiveTemp)
    } else if mounted(os, path) {
        Some(ContainerKind::MountedVolume)
    } else {
        None
    }
}

fn sep(os: Os) -> char {
    if os == Os::Windows {
        '\\'
    } else {
        '/'
    }
}

/// `(folder, file name)` of a normalised path.
fn split(os: Os, path: &str) -> Option<(&str, &str)> {
    path.rsplit_once(sep(os)).filter(|(_, name)| !name.is_empty())
}

/// Whether `path` is under an archive tool's temporary folder (Windows: a folder right under
/// a `temp` folder named `temp1_<archive>`, `7z*` or `rar$ex*`): `Some(Some(archive name))`
/// for Explorer's, `Some(None)` for the others.
fn archive_temp(os: Os, path: &str) -> Option<Option<&str>> {
    if os != Os::Windows {
        return None;
    }
    let mut segments = path.split('\\');
    let mut previous = segments.next()?;
    for seg in segments {
        if previous == "temp" {
            if let Some(archive) = seg.strip_prefix("temp1_") {
                return Some(Some(archive));
            }
            if seg.starts_with("7z") || seg.starts_with("rar$ex") {
                return Some(None);
            }
        }
        previous = seg;
    }
    None
}

/// Whether `path` is on a mounted volume: a drive letter other than `C:` (Windows),
/// `/Volumes/<name>/...` (macOS), `/media/...` or `/run/media/...` (Linux).
fn mounted(os: Os, path: &str) -> bool {
    match os {
        Os::Windows => {
            let b = path.as_bytes();
            b.len() > 3 && b[0].is_ascii_alphabetic() && b[0] != b'c' && b[1] == b':' && b[2] == b'\\'
        }
        Os::Macos => path.strip_prefix("/volumes/").is_some_and(|rest| rest.contains('/')),
        Os::Linux => ["/media/", "/run/media/"].iter().any(|p| path.strip_prefix(p).is_some_and(|r| r.contains('/'))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ZIP: &str = r"c:\users\alice\downloads\invoice_0612.zip";
    const ISO: &str = r"c:\users\alice\downloads\remittance.iso";

    #[test]
    fn explorer_zip_folder_names_its_archive() {
        let exec = r"c:\users\alice\appdata\local\temp\temp1_invoice_0612.zip\invoice.exe";
        assert_eq!(exec_inside(Os::Windows, exec, ZIP, ExtClass::Archive), Some(ContainerKind::ArchiveTemp));
        let other = r"c:\users\alice\appdata\local\temp\temp1_other.zip\invoice.exe";
        assert_eq!(exec_inside(Os::Windows, other, ZIP, ExtClass::Archive), None);
        assert_eq!(location(Os::Windows, exec), Some(ContainerKind::ArchiveTemp));
    }

    #[test]
    fn seven_zip_and_winrar_temp_folders() {
        for exec in [
            r"c:\users\alice\appdata\local\temp\7zo4c2a1b3f\invoice.exe",
            r"c:\users\alice\appdata\local\temp\rar$exa1234.5678\invoice.exe",
        ] {
            assert_eq!(exec_inside(Os::Windows, exec, ZIP, ExtClass::Archive), Some(ContainerKind::ArchiveTemp));
        }
        // Not right under a temp folder.
        let exec = r"c:\tools\7zip\7z.exe";
        assert_eq!(exec_inside(Os::Windows, exec, ZIP, ExtClass::Archive), None);
    }

    #[test]
    fn extraction_folder_next_to_the_archive() {
        let exec = r"c:\users\alice\downloads\invoice_0612\invoice.exe";
        assert_eq!(exec_inside(Os::Windows, exec, ZIP, ExtClass::Archive), Some(ContainerKind::ExtractedFolder));
        let sibling = r"c:\users\alice\downloads\invoice_06120\invoice.exe";
        assert_eq!(exec_inside(Os::Windows, sibling, ZIP, ExtClass::Archive), None);
        let mac = "/users/bob/downloads/tool.zip";
        let app = "/users/bob/downloads/tool.app/contents/macos/tool";
        assert_eq!(exec_inside(Os::Macos, app, mac, ExtClass::Archive), Some(ContainerKind::ExtractedFolder));
        // The archive itself is no extraction.
        assert_eq!(exec_inside(Os::Windows, ZIP, ZIP, ExtClass::Archive), None);
    }

    #[test]
    fn which_containers_name_their_file() {
        let zip_temp = r"c:\users\alice\appdata\local\temp\temp1_invoice_0612.zip\invoice.exe";
        assert!(names_its_file(Os::Windows, zip_temp, ZIP));
        assert!(!names_its_file(Os::Windows, r"c:\users\alice\appdata\local\temp\7zo4c2\a.exe", ZIP));
        assert!(!names_its_file(Os::Windows, r"e:\setup.exe", ISO));
        assert!(names_its_file(Os::Windows, r"c:\users\alice\downloads\invoice_0612\invoice.exe", ZIP));
        let dmg = "/users/bob/downloads/tool-1.2.dmg";
        assert!(names_its_file(Os::Macos, "/volumes/tool 1.2/tool.app/contents/macos/tool", dmg));
        assert!(!names_its_file(Os::Macos, "/volumes/installer/tool.app/contents/macos/tool", dmg));
        let iso = "/home/bob/downloads/setup.iso";
        assert!(names_its_file(Os::Linux, "/media/bob/SETUP/run.sh", iso));
        assert!(!names_its_file(Os::Linux, "/run/media/bob/other/run.sh", iso));
    }

    #[test]
    fn disk_images_mount_as_volumes() {
        assert_eq!(
            exec_inside(Os::Windows, r"e:\setup.exe", ISO, ExtClass::DiskImage),
            Some(ContainerKind::MountedVolume)
        );
        assert_eq!(exec_inside(Os::Windows, r"c:\setup.exe", ISO, ExtClass::DiskImage), None);
        assert_eq!(exec_inside(Os::Windows, r"\\nas\share\setup.exe", ISO, ExtClass::DiskImage), None);
        let dmg = "/users/bob/downloads/tool.dmg";
        let exec = "/volumes/tool installer/tool.app/contents/macos/tool";
        assert_eq!(exec_inside(Os::Macos, exec, dmg, ExtClass::DiskImage), Some(ContainerKind::MountedVolume));
        let img = "/home/bob/downloads/tool.img";
        for exec in ["/media/bob/tool/run.sh", "/run/media/bob/tool/run.sh"] {
            assert_eq!(exec_inside(Os::Linux, exec, img, ExtClass::DiskImage), Some(ContainerKind::MountedVolume));
        }
        assert_eq!(exec_inside(Os::Linux, "/usr/bin/ls", img, ExtClass::DiskImage), None);
        // A disk image is not unpacked, an archive not mounted.
        assert_eq!(exec_inside(Os::Windows, r"e:\setup.exe", ZIP, ExtClass::Archive), None);
        assert_eq!(exec_inside(Os::Windows, r"e:\setup.exe", ISO, ExtClass::Executable), None);
        assert_eq!(location(Os::Macos, "/volumes/tool/readme.html"), Some(ContainerKind::MountedVolume));
        assert_eq!(location(Os::Macos, "/users/bob/downloads/readme.html"), None);
    }
}

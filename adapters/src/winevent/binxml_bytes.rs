//! Little-endian integers and UTF-16 text out of BinXML bytes, as the evtx crate reads them.

pub(crate) fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

pub(crate) fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

pub(crate) fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// UTF-16LE text up to its first NUL, as the crate cuts it; `None` when it is not UTF-16.
pub(crate) fn utf16(bytes: &[u8]) -> Option<String> {
    let mut text = String::new();
    utf16_into(bytes, &mut text)?;
    Some(text)
}

/// [`utf16`], appended to `out` (part of it may be appended when it fails).
pub(crate) fn utf16_into(bytes: &[u8], out: &mut String) -> Option<()> {
    // ASCII (nearly all of it) four units at a time, then a unit at a time; the rest through
    // the general decoder.
    out.reserve(bytes.len() / 2);
    // ASCII bytes gathered on the stack and appended a run at a time.
    let mut run = [0u8; 128];
    let mut filled = 0;
    let mut done = 0;
    for quad in bytes.chunks_exact(8) {
        let w = u64::from_le_bytes(quad.try_into().ok()?);
        // Every unit below 0x80, and none NUL (a unit of 0 borrows in `w - 0x0001…`: a unit
        // above it may then look NUL too, which only sends the rest to the unit loop).
        let nul = w.wrapping_sub(0x0001_0001_0001_0001) & !w & 0x8000_8000_8000_8000;
        if w & 0xff80_ff80_ff80_ff80 != 0 || nul != 0 {
            break;
        }
        let packed = (w & 0xff) | (w >> 8 & 0xff00) | (w >> 16 & 0xff_0000) | (w >> 24 & 0xff00_0000);
        run.get_mut(filled..filled + 4)?.copy_from_slice(&(packed as u32).to_le_bytes());
        filled += 4;
        done += 8;
        if filled == run.len() {
            out.push_str(std::str::from_utf8(&run).ok()?);
            filled = 0;
        }
    }
    out.push_str(std::str::from_utf8(&run[..filled]).ok()?);
    for (i, pair) in bytes[done..].chunks_exact(2).enumerate() {
        match (pair[0], pair[1]) {
            (0, 0) => return Some(()),
            (lo @ 1..=0x7f, 0) => out.push(char::from(lo)),
            _ => {
                let units = bytes[done + i * 2..].chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]]));
                for c in char::decode_utf16(units.take_while(|&u| u != 0)) {
                    out.push(c.ok()?);
                }
                return Some(());
            }
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn units(s: &[u16]) -> Vec<u8> {
        s.iter().flat_map(|u| u.to_le_bytes()).collect()
    }

    /// Text ends at the first NUL, is decoded past ASCII, and lone surrogates are refused.
    #[test]
    fn utf16_cuts_at_nul_and_decodes_all_of_unicode() {
        let text = "C:\\Üsers\\ä\\😀.exe";
        let mut wide: Vec<u16> = text.encode_utf16().collect();
        assert_eq!(utf16(&units(&wide)).as_deref(), Some(text));
        wide.extend([0, b'x'.into()]);
        assert_eq!(utf16(&units(&wide)).as_deref(), Some(text));
        assert_eq!(utf16(&units(&[b'a'.into(), 0xd800])), None);
        assert_eq!(utf16(&units(&[0, b'a'.into()])).as_deref(), Some(""));
    }

    proptest::proptest! {
        /// The four-units-at-a-time ASCII loop decodes as the general decoder does: up to the
        /// first NUL, `None` on a lone surrogate, odd trailing byte ignored.
        #[test]
        fn utf16_equals_the_general_decoder(
            wide in proptest::collection::vec(
                proptest::prop_oneof![40 => 1u16..0x80, 1 => proptest::strategy::Just(0u16), 1 => 0x80u16..0xe000, 1 => proptest::num::u16::ANY],
                0..300,
            ),
            odd in proptest::bool::ANY,
        ) {
            let mut bytes = units(&wide);
            if odd {
                bytes.push(b'x');
            }
            let upto: Vec<u16> = wide.iter().copied().take_while(|&u| u != 0).collect();
            proptest::prop_assert_eq!(utf16(&bytes), String::from_utf16(&upto).ok());
        }
    }
}

//! Compressed inputs (gzip, zstd), told by their magic bytes and read through a decoder, so
//! that format detection and the readers see the decompressed bytes.
//!
//! zstd is decoded by `ruzstd`: pure Rust and decode-only, which is all a reader needs, where
//! the `zstd` crate builds the C library.

use std::io::{self, BufRead, Read};
use std::sync::{Arc, Mutex};

use clickchain_adapters::{Event, ReadError};

/// How an input's bytes are compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// gzip (`1f 8b`), one member or several.
    Gzip,
    /// zstd (`28 b5 2f fd`), one frame or several.
    Zstd,
}

impl Compression {
    /// The compression the first bytes announce, if any.
    pub fn sniff(head: &[u8]) -> Option<Compression> {
        if head.starts_with(&[0x1f, 0x8b]) {
            Some(Compression::Gzip)
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Some(Compression::Zstd)
        } else {
            None
        }
    }

    /// Its name in messages.
    pub fn name(self) -> &'static str {
        match self {
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        }
    }
}

/// Where a decoder leaves the error that ended its stream early (truncated or corrupt).
pub type Failure = Arc<Mutex<Option<io::Error>>>;

/// The decompressed bytes of `reader`. A stream that breaks off ends there, as if it were
/// whole: what came before it is read as usual, and the break is left in the returned
/// [`Failure`] to be reported after the input's last record.
pub fn decoder<R: BufRead + Send + 'static>(reader: R, compression: Compression) -> (Box<dyn Read + Send>, Failure) {
    let failure = Failure::default();
    let inner: Box<dyn Read + Send> = match compression {
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(reader)),
        Compression::Zstd => Box::new(ZstdFrames { source: Some(reader), frame: None }),
    };
    (Box::new(EndAtFailure { inner: Some(inner), failure: Arc::clone(&failure), compression }), failure)
}

/// Ends quietly at the first error of `inner`, keeping it.
struct EndAtFailure {
    inner: Option<Box<dyn Read + Send>>,
    failure: Failure,
    compression: Compression,
}

impl Read for EndAtFailure {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let Some(inner) = self.inner.as_mut() else { return Ok(0) };
        loop {
            match inner.read(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    let what = format!(
                        "{} stream broken off (truncated or corrupt; what came before it is read): {e}",
                        self.compression.name()
                    );
                    if let Ok(mut slot) = self.failure.lock() {
                        *slot = Some(io::Error::new(e.kind(), what));
                    }
                    self.inner = None;
                    return Ok(0);
                }
                Ok(n) => return Ok(n),
            }
        }
    }
}

/// The frames of a zstd stream, one after another (as `zstd` writes appended files).
struct ZstdFrames<R: BufRead> {
    source: Option<R>,
    frame: Option<ruzstd::decoding::StreamingDecoder<R, ruzstd::decoding::FrameDecoder>>,
}

impl<R: BufRead> Read for ZstdFrames<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if let Some(frame) = self.frame.as_mut() {
                let n = frame.read(buf)?;
                if n > 0 || buf.is_empty() {
                    return Ok(n);
                }
                self.source = self.frame.take().map(|f| f.into_inner());
            }
            let Some(mut source) = self.source.take() else { return Ok(0) };
            if source.fill_buf()?.is_empty() {
                return Ok(0);
            }
            let frame = ruzstd::decoding::StreamingDecoder::new(source).map_err(io::Error::other)?;
            self.frame = Some(frame);
        }
    }
}

/// An input's records, then the error that broke its compressed stream off, if one did.
pub struct ThenFailure<I> {
    /// The records.
    pub records: I,
    /// The decoder's failure slot.
    pub failure: Failure,
    /// The input's name, for the error.
    pub input: String,
}

impl<I: Iterator<Item = Result<Event, ReadError>>> Iterator for ThenFailure<I> {
    type Item = Result<Event, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(r) = self.records.next() {
            return Some(r);
        }
        let error = self.failure.lock().ok()?.take()?;
        Some(Err(ReadError::Io { input: std::mem::take(&mut self.input), error }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut enc = flate2::read::GzEncoder::new(data, flate2::Compression::fast());
        enc.read_to_end(&mut out).unwrap();
        out
    }

    fn decode(bytes: Vec<u8>) -> (Vec<u8>, Option<String>) {
        let c = Compression::sniff(&bytes).expect("compressed");
        let (mut r, failure) = decoder(io::Cursor::new(bytes), c);
        let mut out = Vec::new();
        r.read_to_end(&mut out).unwrap();
        let failure = failure.lock().unwrap().take().map(|e| e.to_string());
        (out, failure)
    }

    fn text() -> Vec<u8> {
        (0..2000).map(|i| format!("line {i}\n")).collect::<String>().into_bytes()
    }

    #[test]
    fn gzip_and_zstd_members_and_frames_one_after_another() {
        let whole = text();
        let mut two = gzip(&whole[..5000]);
        two.extend(gzip(&whole[5000..]));
        assert_eq!(decode(two), (whole.clone(), None));
        let mut frames = ruzstd::encoding::compress_to_vec(&whole[..5000], ruzstd::encoding::CompressionLevel::Fastest);
        frames.extend(ruzstd::encoding::compress_to_vec(&whole[5000..], ruzstd::encoding::CompressionLevel::Fastest));
        assert_eq!(decode(frames), (whole, None));
    }

    #[test]
    fn a_truncated_stream_keeps_what_was_read_and_reports_the_break() {
        let whole = text();
        for (name, bytes) in [
            ("gzip", gzip(&whole)),
            ("zstd", ruzstd::encoding::compress_to_vec(&whole[..], ruzstd::encoding::CompressionLevel::Fastest)),
        ] {
            let cut = bytes[..bytes.len() * 2 / 3].to_vec();
            let (out, failure) = decode(cut);
            assert!(whole.starts_with(&out), "{name}: a prefix");
            assert!(failure.is_some_and(|f| f.starts_with(&format!("{name} stream broken off"))), "{name}");
        }
    }

    #[test]
    fn a_gzip_header_before_garbage_is_a_failure_not_a_panic() {
        let mut bytes = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
        bytes.extend((0..4000u32).map(|i| (i * 7919 % 251) as u8));
        let (out, failure) = decode(bytes);
        assert!(out.len() < 4000);
        assert!(failure.is_some());
    }
}

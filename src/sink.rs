//! Where records go: a `Vec` for tests, NDJSON or text to any writer, or a callback.

use std::io::{self, Write};

use crate::alert::Record;

/// Receives output records in order.
pub trait Sink {
    /// Takes one record.
    fn emit(&mut self, record: Record) -> io::Result<()>;

    /// Pushes out anything buffered.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Sink for Vec<Record> {
    fn emit(&mut self, record: Record) -> io::Result<()> {
        self.push(record);
        Ok(())
    }
}

/// Writes one JSON object per line; [`Record::from_json`] reads each line back.
pub struct JsonLines<W: Write>(pub W);

impl<W: Write> Sink for JsonLines<W> {
    fn emit(&mut self, record: Record) -> io::Result<()> {
        // Escapes C1 controls and bidi overrides too (`docs/alerts.md` "Safe output").
        crate::alert::write_json(&mut self.0, &record)?;
        self.0.write_all(b"\n")
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// Writes records for people to read.
pub struct Text<W: Write>(pub W);

impl<W: Write> Sink for Text<W> {
    fn emit(&mut self, record: Record) -> io::Result<()> {
        self.0.write_all(record.to_text().as_bytes())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// Calls a function per record (an embedding agent's channel or queue).
pub struct Callback<F: FnMut(Record)>(pub F);

impl<F: FnMut(Record)> Sink for Callback<F> {
    fn emit(&mut self, record: Record) -> io::Result<()> {
        (self.0)(record);
        Ok(())
    }
}

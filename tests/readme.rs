//! The native schema examples in docs/formats.md are real records: every line parses, one per kind.

use clickchain_adapters::native::NativeReader;

#[test]
fn native_schema_examples_parse() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/formats.md")).unwrap();
    let section = doc.split("## The native event schema").nth(1).expect("the section exists");
    let block = section.split("```json\n").nth(1).and_then(|b| b.split("```").next()).expect("a json block");
    let kinds: Vec<&str> = NativeReader::new("docs/formats.md", block.as_bytes())
        .map(|r| r.unwrap_or_else(|e| panic!("{e}")).kind.tag())
        .collect();
    assert_eq!(kinds, ["process_start", "url_open", "dns_answer", "connect", "file_write", "file_attr", "process_end"]);
}

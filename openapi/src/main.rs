//! Writes the OpenAPI document generated from the service's route table to
//! `openapi/openapi.json`. Run `cargo run -p openapi` after changing the API;
//! the test `openapi_document_is_committed` fails until you do.
fn main() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi.json");
    if let Err(e) = std::fs::write(&path, fieldnotes::startup::api_doc_json()) {
        eprintln!("cannot write {}: {e}", path.display());
        std::process::exit(1);
    }
    println!("wrote {}", path.display());
}

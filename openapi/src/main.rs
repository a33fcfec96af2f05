//! Writes what is generated from the service's route table and types:
//! `openapi/openapi.json` (the OpenAPI document) and `web/app/js/lists.js`
//! (its lists, for the web client). Run `cargo run -p openapi` after
//! changing the API; the tests `openapi_document_is_committed` and
//! `client_lists_are_committed` fail until you do.
fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = [
        (
            root.join("openapi.json"),
            fieldnotes::app::startup::api_doc_json(),
        ),
        (
            root.join("../web/app/js/lists.js"),
            fieldnotes::app::startup::client_lists_js(),
        ),
    ];
    for (path, text) in files {
        if let Err(e) = std::fs::write(&path, text) {
            eprintln!("cannot write {}: {e}", path.display());
            std::process::exit(1);
        }
        println!("wrote {}", path.display());
    }
}

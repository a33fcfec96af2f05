//! Hand-off to analysis: transcripts, passage codings, the REFI-QDA project
//! and the CSV files, read back by readers that are not ours (Python's
//! xmlschema against the official REFI-QDA schema, pyrefiqda, the csv
//! module).
use chrono::{Duration, Utc};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::db_test;
use crate::helpers::{read_with, TestApp};
use crate::interviews::{book, iso, oslo, participant, s};

/// Python's csv module reads a CSV.
pub(crate) fn read_csv(bytes: &[u8]) -> Vec<Vec<String>> {
    assert!(bytes.starts_with(&[0xef, 0xbb, 0xbf]), "no BOM");
    serde_json::from_value(read_with("read_csv.py", bytes, ".csv")).expect("rows")
}

pub(crate) async fn download(app: &TestApp, path: &str, token: &str) -> (u16, String, Vec<u8>) {
    let r = app
        .client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .expect("request");
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (status, ct, r.bytes().await.expect("body").to_vec())
}

async fn code(
    app: &TestApp,
    token: &str,
    name: &str,
    parent: Option<&str>,
    dimension: Option<&str>,
) -> String {
    let r = app
        .post(
            "/codes",
            token,
            json!({"name": name, "parent_id": parent, "dimension": dimension, "description": format!("About {name}")}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    s(&r.body["id"])
}

async fn note(
    app: &TestApp,
    token: &str,
    site: Uuid,
    body: &str,
    pids: &[&str],
    codes: &[&str],
) -> String {
    let id = Uuid::now_v7();
    let r = app
        .post(
            "/notes",
            token,
            json!({
                "id": id, "site_id": site, "observed_at": iso(Utc::now() - Duration::hours(1)),
                "location": "waiting_room", "body": body, "participant_ids": pids, "code_ids": codes,
            }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    id.to_string()
}

async fn edit(app: &TestApp, token: &str, id: &str, version: i64, body: &str) -> Value {
    let r = app
        .send(
            app.client
                .patch(app.url(&format!("/notes/{id}")))
                .bearer_auth(token)
                .header("If-Match", format!("\"{version}\""))
                .json(&json!({"body": body})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

async fn codings_of(app: &TestApp, token: &str, what: &str, id: &str) -> Vec<Value> {
    let r = app.get(&format!("/{what}/{id}/codings"), token).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["items"].as_array().expect("items").clone()
}

const TEXT: &str = "Blåbær-Ola 😀 venter på dosen. Han sier: «kø er verst». Familien 👨\u{200d}👩\u{200d}👧 kommer.";

db_test!(
    passages_are_coded_in_code_points_and_follow_their_words,
    |app: TestApp| async move {
        let a = app.create_site("Clinic A").await;
        let b = app.create_site("Clinic B").await;
        let (_, co) = app.user("co@example.org", "coordinator", &[a]).await;
        let (_, fw) = app.user("fw@example.org", "fieldworker", &[a]).await;
        let (_, fw2) = app.user("fw2@example.org", "fieldworker", &[a]).await;
        let (_, fw_b) = app.user("fwb@example.org", "fieldworker", &[b]).await;
        let stress = code(&app, &co, "Stress", None, Some("medical")).await;
        let queue = code(&app, &co, "Queue", None, None).await;
        let n = note(&app, &fw, a, TEXT, &[], &[]).await;
        // "venter" starts at code point 13 (the emoji is one code point).
        let venter_at = TEXT.chars().take_while(|_| true).collect::<Vec<_>>();
        let start = TEXT
            .find("venter")
            .map(|b| TEXT[..b].chars().count())
            .expect("venter");
        assert_eq!(start, 13, "{venter_at:?}");
        let r = app
            .post(
                &format!("/notes/{n}/codings"),
                &fw,
                json!({"code_id": stress, "start": start, "end": start + 6}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(r.body["quote"], "venter");
        let kø = TEXT
            .find("«kø er verst»")
            .map(|b| TEXT[..b].chars().count())
            .expect("kø");
        let r = app
            .post(
                &format!("/notes/{n}/codings"),
                &fw,
                json!({"code_id": queue, "start": kø, "end": kø + 13}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(r.body["quote"], "«kø er verst»");
        // The family emoji is one character of five code points.
        let fam = TEXT
            .find('👨')
            .map(|b| TEXT[..b].chars().count())
            .expect("family");
        let r = app
            .post(
                &format!("/notes/{n}/codings"),
                &fw,
                json!({"code_id": queue, "start": fam, "end": fam + 5}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(r.body["quote"], "👨\u{200d}👩\u{200d}👧");
        // Bad passages: a 422 that names the field.
        let len = TEXT.chars().count();
        for (body, pointer) in [
            (
                json!({"code_id": queue, "start": 0, "end": len + 1}),
                "/end",
            ),
            (json!({"code_id": queue, "start": 5, "end": 5}), "/end"),
            (json!({"code_id": queue, "start": -1, "end": 3}), "/start"),
            (
                json!({"code_id": queue, "start": fam + 2, "end": fam + 5}),
                "/start",
            ),
            (
                json!({"code_id": queue, "start": fam, "end": fam + 3}),
                "/end",
            ),
            (
                json!({"code_id": Uuid::now_v7(), "start": 0, "end": 3}),
                "/code_id",
            ),
            (json!({"code_id": queue, "start": "0", "end": 3}), "/start"),
        ] {
            let r = app
                .post(&format!("/notes/{n}/codings"), &fw, body.clone())
                .await;
            assert_eq!(r.errors_pointer(), pointer, "{body} {}", r.body);
        }
        // Another fieldworker cannot code someone else's note; another site
        // does not see it.
        let ok = json!({"code_id": queue, "start": 0, "end": 3});
        assert_eq!(
            app.post(&format!("/notes/{n}/codings"), &fw2, ok.clone())
                .await
                .status,
            403
        );
        assert_eq!(
            app.post(&format!("/notes/{n}/codings"), &fw_b, ok.clone())
                .await
                .status,
            404
        );
        assert_eq!(
            app.get(&format!("/notes/{n}/codings"), &fw_b).await.status,
            404
        );
        assert_eq!(codings_of(&app, &fw2, "notes", &n).await.len(), 3);

        // An edit moves each passage whose words occur once; "venter" is
        // now twice in the text, so that coding is kept, unanchored.
        let new = format!("Nytt først. {TEXT} Hun venter også.");
        edit(&app, &fw, &n, 1, &new).await;
        let after = codings_of(&app, &co, "notes", &n).await;
        let by_quote = |q: &str| after.iter().find(|c| c["quote"] == q).expect(q).clone();
        let k = by_quote("«kø er verst»");
        assert_eq!(k["anchored"], true);
        let moved = new
            .find("«kø er verst»")
            .map(|b| new[..b].chars().count())
            .expect("kø");
        assert_eq!(k["start"], moved);
        let v = by_quote("venter");
        assert_eq!(v["anchored"], false);
        assert_eq!(v["start"], start, "kept where it was");
        // ... and listed for the coordinator to fix, at their sites only.
        let r = app.get("/codings?anchored=false", &co).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let ids: Vec<String> = r.body["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|c| s(&c["id"]))
            .collect();
        assert_eq!(ids, vec![s(&v["id"])]);
        assert_eq!(app.get("/codings?anchored=false", &fw).await.status, 403);
        // The coordinator places it on the first "venter" again.
        let first = new
            .find("venter")
            .map(|b| new[..b].chars().count())
            .expect("v");
        let r = app
            .patch(
                &format!("/codings/{}", s(&v["id"])),
                &co,
                json!({"start": first, "end": first + 6}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["anchored"], true);
        assert_eq!(r.body["quote"], "venter");
        // Merging "Queue" into "Stress" carries the passage codings along.
        let r = app
            .delete(&format!("/codes/{queue}?move_to={stress}"), &co)
            .await;
        assert_eq!(r.status, 204, "{}", r.body);
        let after = codings_of(&app, &co, "notes", &n).await;
        assert_eq!(after.len(), 3);
        assert!(
            after.iter().all(|c| c["code_id"] == json!(stress)),
            "{after:?}"
        );
        // Removing a coding.
        let r = app
            .delete(&format!("/codings/{}", s(&after[0]["id"])), &fw)
            .await;
        assert_eq!(r.status, 204, "{}", r.body);
        assert_eq!(codings_of(&app, &co, "notes", &n).await.len(), 2);
        // Redacting a deleted note erases the words kept in its codings.
        let r = app
            .send(
                app.client
                    .delete(app.url(&format!("/notes/{n}")))
                    .bearer_auth(&co),
            )
            .await;
        assert_eq!(r.status, 204, "{}", r.body);
        let r = app
            .post(
                &format!("/notes/{n}/redact"),
                &co,
                json!({"reason": "a real name"}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let quotes: Vec<Value> = codings_of(&app, &co, "notes", &n)
            .await
            .iter()
            .map(|c| c["quote"].clone())
            .collect();
        assert_eq!(quotes, vec![json!(""), json!("")]);
    }
);

db_test!(
    transcripts_are_versioned_and_scoped,
    |app: TestApp| async move {
        let a = app.create_site("Clinic A").await;
        let b = app.create_site("Clinic B").await;
        let (_, co) = app.user("co@example.org", "coordinator", &[a]).await;
        let (_, co_b) = app.user("cob@example.org", "coordinator", &[b]).await;
        let (fw, fw_token) = app.user("fw@example.org", "fieldworker", &[a]).await;
        let (_, other_fw) = app.user("fw2@example.org", "fieldworker", &[a]).await;
        let pid = participant(&app, &co, a, "Ola", 60).await;
        let r = book(&app, &co, &pid, oslo(2, 9, 0), &[fw]).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let iv = s(&r.body["id"]);
        // A transcription pipeline's key.
        let r = app
            .post(
                "/api-keys",
                &co,
                json!({"name": "transcriber", "scopes": ["transcripts:write"]}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let key = s(&r.body["secret"]);
        let r = app
            .post(
                &format!("/interviews/{iv}/transcripts"),
                &key,
                json!({"language": "nb", "body": TEXT}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(
            r.headers.get("etag").and_then(|v| v.to_str().ok()),
            Some("\"1\"")
        );
        let t = s(&r.body["id"]);
        assert_eq!(r.body["characters"], TEXT.chars().count());
        assert_eq!(r.body["participant_id"], json!(pid));
        // The key cannot read it back (notes:read is another scope).
        assert_eq!(
            app.get(&format!("/transcripts/{t}"), &key).await.status,
            403
        );
        // The interviewer reads it; another fieldworker and another site do not.
        let r = app.get(&format!("/transcripts/{t}"), &fw_token).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["body"], TEXT);
        assert_eq!(
            app.get(&format!("/transcripts/{t}"), &other_fw)
                .await
                .status,
            403
        );
        assert_eq!(
            app.get(&format!("/transcripts/{t}"), &co_b).await.status,
            404
        );
        assert_eq!(
            app.get(&format!("/interviews/{iv}/transcripts"), &co_b)
                .await
                .status,
            404
        );
        let r = app
            .get(&format!("/interviews/{iv}/transcripts"), &fw_token)
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["items"][0]["id"], json!(t));
        assert!(r.body["items"][0].get("body").is_none());
        // Fieldworkers do not upload.
        let r = app
            .post(
                &format!("/interviews/{iv}/transcripts"),
                &fw_token,
                json!({"language": "nb", "body": "x"}),
            )
            .await;
        assert_eq!(r.status, 403);
        // Bad input names the field.
        for (body, pointer) in [
            (
                json!({"language": "norsk bokmål", "body": "x"}),
                "/language",
            ),
            (json!({"language": "nb", "body": "  "}), "/body"),
            (
                json!({"language": "nb", "body": "x".repeat(2 * 1024 * 1024 + 1)}),
                "/body",
            ),
            (
                json!({"language": "nb", "body": "x", "session_number": 3}),
                "/session_number",
            ),
            (
                json!({"language": "nb", "body": "x", "speaker": "Ola"}),
                "/speaker",
            ),
        ] {
            let r = app
                .post(&format!("/interviews/{iv}/transcripts"), &co, body)
                .await;
            assert_eq!(r.errors_pointer(), pointer, "{}", r.body);
        }
        // A passage of the transcript, then a new text: the coding follows.
        let stress = code(&app, &co, "Stress", None, None).await;
        let at = TEXT
            .find("dosen")
            .map(|b| TEXT[..b].chars().count())
            .expect("dosen");
        let r = app
            .post(
                &format!("/transcripts/{t}/codings"),
                &co,
                json!({"code_id": stress, "start": at, "end": at + 5}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        // The interviewer may read but not code it.
        let r = app
            .post(
                &format!("/transcripts/{t}/codings"),
                &fw_token,
                json!({"code_id": stress, "start": at, "end": at + 5}),
            )
            .await;
        assert_eq!(r.status, 403);
        let put = |body: &'static str, etag: Option<&'static str>| {
            let mut req = app
                .client
                .put(app.url(&format!("/transcripts/{t}")))
                .bearer_auth(&key)
                .json(&json!({"language": "nb", "body": body}));
            if let Some(e) = etag {
                req = req.header("If-Match", e);
            }
            app.send(req)
        };
        let r = put("I: Hei.\nO: Jeg venter på dosen.", Some("\"1\"")).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["version"], 2);
        assert_eq!(r.body["unanchored_codings"], 0);
        let c = codings_of(&app, &co, "transcripts", &t).await;
        let moved = "I: Hei.\nO: Jeg venter på ".chars().count();
        assert_eq!(
            (c[0]["start"].clone(), c[0]["anchored"].clone()),
            (json!(moved), json!(true))
        );
        // A stale If-Match is refused; the text stays.
        let r = put("Noe annet.", Some("\"1\"")).await;
        assert_eq!(r.status, 412, "{}", r.body);
        let r = put("Noe annet.", None).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["unanchored_codings"], 1);
        // The earlier texts are kept as versions.
        let versions = entity::transcript_version::Entity::find()
            .all(&app.state.db)
            .await
            .expect("versions");
        let mut kept: Vec<(i32, String)> =
            versions.into_iter().map(|v| (v.version, v.body)).collect();
        kept.sort();
        assert_eq!(
            kept,
            vec![
                (1, TEXT.to_string()),
                (2, "I: Hei.\nO: Jeg venter på dosen.".to_string())
            ]
        );
    }
);

use sea_orm::EntityTrait;

db_test!(
    the_project_export_opens_in_an_independent_reader,
    |app: TestApp| async move {
        let a = app.create_site("Bergen clinic").await;
        let b = app.create_site("Oslo clinic").await;
        let (_, co) = app.user("co@example.org", "coordinator", &[a]).await;
        let (fw, fw_token) = app.user("fw@example.org", "fieldworker", &[a]).await;
        let (_, fw_b) = app.user("fwb@example.org", "fieldworker", &[b]).await;
        let benefits = code(&app, &co, "Benefits", None, None).await;
        let access = code(
            &app,
            &co,
            "Access to medical heroin",
            Some(&benefits),
            Some("medical"),
        )
        .await;
        let rules = code(&app, &co, "Clinic rules", None, Some("configurational")).await;
        let ola = participant(&app, &co, a, "Ola", 60).await;
        let kari = participant(&app, &co, a, "Kåre Ø", 60).await;
        let other = participant(&app, &app.admin_token, b, "Bjørn", 60).await;
        let crlf = "Linje én\r\nLinje to: venter\r\nslutt";
        let n1 = note(&app, &fw_token, a, TEXT, &[&ola], &[&rules]).await;
        let n2 = note(&app, &fw_token, a, crlf, &[&ola, &kari], &[]).await;
        let hidden = note(&app, &fw_b, b, "Oslo only", &[&other], &[&rules]).await;
        let fam = TEXT
            .find('👨')
            .map(|x| TEXT[..x].chars().count())
            .expect("family");
        let r = app
            .post(
                &format!("/notes/{n1}/codings"),
                &co,
                json!({"code_id": access, "start": fam, "end": fam + 5}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        // In n2, "venter" starts at code point 20 counting the CR; 19 in LF text.
        let r = app
            .post(
                &format!("/notes/{n2}/codings"),
                &co,
                json!({"code_id": access, "start": 20, "end": 26}),
            )
            .await;
        assert_eq!(r.body["quote"], "venter", "{}", r.body);
        let r = book(&app, &co, &kari, oslo(2, 9, 0), &[fw]).await;
        let iv = s(&r.body["id"]);
        let said = "I: Hvordan går det?\nK: Bra, blåbær 😀.";
        let r = app
            .post(
                &format!("/interviews/{iv}/transcripts"),
                &co,
                json!({"language": "nb", "body": said}),
            )
            .await;
        let t = s(&r.body["id"]);
        let at = said
            .find("blåbær")
            .map(|x| said[..x].chars().count())
            .expect("blåbær");
        let r = app
            .post(
                &format!("/transcripts/{t}/codings"),
                &co,
                json!({"code_id": rules, "start": at, "end": at + 6}),
            )
            .await;
        assert_eq!(r.body["quote"], "blåbær", "{}", r.body);

        let (status, ct, zip) = download(&app, "/exports/project.qdpx", &co).await;
        assert_eq!((status, ct.as_str()), (200, "application/zip"));
        let p = read_with("qdpx.py", &zip, ".qdpx");
        // The codebook with its hierarchy and dimension.
        let codes = &p["codes"];
        assert_eq!(codes[&access]["name"], "Access to medical heroin");
        assert_eq!(codes[&access]["parent"], json!(benefits));
        assert!(
            s(&codes[&access]["description"]).contains("Dimension: medical"),
            "{codes}"
        );
        // Sources: two notes and the transcript, not the other site's note.
        let sources = p["sources"].as_array().expect("sources");
        let guids: Vec<String> = sources.iter().map(|x| s(&x["guid"])).collect();
        assert_eq!(guids.len(), 3, "{guids:?}");
        assert!(!guids.contains(&hidden));
        let src = |id: &str| sources.iter().find(|x| x["guid"] == id).expect(id).clone();
        let s1 = src(&n1);
        assert_eq!(s1["text"], TEXT);
        assert!(!s1["bom"].as_bool().expect("bom"));
        // Whole-note code as a selection over the whole text; the passage
        // in code points, read back by Python's own slicing.
        let sels = s1["selections"].as_array().expect("selections");
        let whole = sels
            .iter()
            .find(|x| x["codes"] == json!([rules]))
            .expect("whole");
        assert_eq!(
            (whole["start"].clone(), whole["end"].clone()),
            (json!(0), json!(TEXT.chars().count()))
        );
        let fam_sel = sels
            .iter()
            .find(|x| x["codes"] == json!([access]))
            .expect("passage");
        assert_eq!(fam_sel["quote"], "👨\u{200d}👩\u{200d}👧");
        // CR LF became LF, and the passage moved with it.
        let s2 = src(&n2);
        assert_eq!(s2["text"], "Linje én\nLinje to: venter\nslutt");
        assert!(!s2["crlf"].as_bool().expect("crlf"));
        assert_eq!(s2["selections"][0]["quote"], "venter");
        assert_eq!(s2["selections"][0]["start"], 19);
        let st = src(&t);
        assert_eq!(st["selections"][0]["quote"], "blåbær");
        assert_eq!(st["values"]["Kind"], "Interview transcript");
        // Readable, unique names; pseudonyms, no site.
        assert!(s(&s2["name"]).contains("Waiting room, "), "{}", s2["name"]);
        assert!(s(&s2["name"]).contains("Kåre Ø"), "{}", s2["name"]);
        let names: std::collections::HashSet<String> =
            sources.iter().map(|x| s(&x["name"])).collect();
        assert_eq!(names.len(), 3);
        assert_eq!(s2["values"]["Participants"], "Ola, Kåre Ø");
        assert!(s2["values"].get("Site").is_none());
        // Cases with their variables and their sources.
        let cases = p["cases"].as_array().expect("cases");
        let case = |name: &str| {
            cases
                .iter()
                .find(|c| c["name"] == name)
                .expect(name)
                .clone()
        };
        let ola_case = case("Ola");
        let mut refs: Vec<String> = ola_case["sources"]
            .as_array()
            .expect("refs")
            .iter()
            .map(s)
            .collect();
        refs.sort();
        let mut want = vec![n1.clone(), n2.clone()];
        want.sort();
        assert_eq!(refs, want);
        assert_eq!(ola_case["values"]["Status"], "Active");
        assert!(case("Kåre Ø")["sources"]
            .as_array()
            .expect("refs")
            .contains(&json!(t)));
        assert!(cases.iter().all(|c| c["name"] != "Bjørn"));
        // Staff are labels, never names; every coding names its user.
        let users: Vec<String> = p["users"]
            .as_object()
            .expect("users")
            .values()
            .map(s)
            .collect();
        assert!(users.iter().all(|u| !u.contains('@')), "{users:?}");
        assert!(users.contains(&"Fieldworker 1".to_string()), "{users:?}");
        assert!(
            !users.iter().any(|u| u.contains("Fieldworker 2")),
            "another site's staff: {users:?}"
        );
        for src in sources {
            for sel in src["selections"].as_array().expect("sels") {
                for u in sel["users"].as_array().expect("users") {
                    assert!(p["users"].get(s(u)).is_some(), "unknown user {u}");
                }
            }
        }
        assert!(s(&p["origin"]).starts_with("Fieldnotes"));
        assert!(p["entries"]
            .as_array()
            .expect("entries")
            .contains(&json!(format!("sources/{n1}.txt"))));

        // What include adds.
        let (_, _, zip) = download(
            &app,
            "/exports/project.qdpx?include=site,staff_names,age_band",
            &co,
        )
        .await;
        let p = read_with("qdpx.py", &zip, ".qdpx");
        let users: Vec<String> = p["users"]
            .as_object()
            .expect("users")
            .values()
            .map(s)
            .collect();
        assert!(users.contains(&"fw@example.org".to_string()), "{users:?}");
        let s1 = p["sources"]
            .as_array()
            .expect("s")
            .iter()
            .find(|x| x["guid"] == json!(n1))
            .expect("n1")
            .clone();
        assert_eq!(s1["values"]["Site"], "Bergen clinic");
        // A period with nothing in it.
        let future = iso(Utc::now() + Duration::days(30));
        let (_, _, zip) = download(
            &app,
            &format!("/exports/project.qdpx?from={}", urlencode(&future)),
            &co,
        )
        .await;
        let p = read_with("qdpx.py", &zip, ".qdpx");
        assert_eq!(p["sources"].as_array().map(Vec::len).unwrap_or(0), 0);

        // Bad input, and who may export.
        let past = iso(Utc::now() - Duration::days(30));
        for (q, pointer) in [
            ("include=site,names".to_string(), "/include"),
            (
                format!("from={}&to={}", urlencode(&future), urlencode(&past)),
                "/to",
            ),
            (format!("site_id={b}"), "/site_id"),
        ] {
            let r = app.get(&format!("/exports/project.qdpx?{q}"), &co).await;
            assert_eq!(r.errors_pointer(), pointer, "{q}: {}", r.body);
        }
        assert_eq!(
            app.get("/exports/project.qdpx", &fw_token).await.status,
            403
        );
        assert_eq!(app.get("/exports/notes.csv", &fw_token).await.status, 403);
        // Audited with its filters and counts.
        let r = app
            .get("/audit?action=export.download", &app.admin_token)
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let first = r.body["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|e| {
                e["object_id"] == "qdpx"
                    && e["detail"]["include"] == json!([])
                    && e["detail"]["from"].is_null()
            })
            .expect("audited")
            .clone();
        assert_eq!(first["detail"]["counts"]["notes"], 2);
        assert_eq!(first["detail"]["counts"]["transcripts"], 1);
    }
);

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

db_test!(
    csv_exports_read_back_and_cannot_run_formulas,
    |app: TestApp| async move {
        let a = app.create_site("Bergen clinic").await;
        let (_, co) = app.user("co@example.org", "coordinator", &[a]).await;
        let (fw, fw_token) = app.user("fw@example.org", "fieldworker", &[a]).await;
        let benefits = code(&app, &co, "Benefits", None, None).await;
        let access = code(&app, &co, "Access to medical heroin", Some(&benefits), None).await;
        let ola = participant(&app, &co, a, "Ola", 60).await;
        let n = note(
            &app,
            &fw_token,
            a,
            "=HYPERLINK(\"http://x\")",
            &[&ola],
            &[&access],
        )
        .await;
        let r = app
            .post(
                &format!("/notes/{n}/codings"),
                &co,
                json!({"code_id": benefits, "start": 1, "end": 10}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let r = book(&app, &co, &ola, oslo(2, 9, 0), &[fw]).await;
        assert_eq!(r.status, 201, "{}", r.body);
        crate::interviews::screen(&app, &fw_token, &ola, "2", 5).await;
        let (status, ct, bytes) = download(&app, "/exports/notes.csv", &co).await;
        assert_eq!((status, ct.as_str()), (200, "text/csv; charset=utf-8"));
        let rows = read_csv(&bytes);
        assert_eq!(
            rows[0][..5],
            [
                "note_id",
                "observed_at",
                "location",
                "author",
                "participants"
            ]
        );
        assert!(!rows[0].contains(&"site".to_string()));
        assert_eq!(rows.len(), 2);
        let col = |name: &str| rows[0].iter().position(|c| c == name).expect(name);
        assert_eq!(rows[1][col("note_id")], n);
        assert_eq!(rows[1][col("body")], "'=HYPERLINK(\"http://x\")");
        assert_eq!(rows[1][col("codes")], "Benefits > Access to medical heroin");
        assert_eq!(rows[1][col("passage_codes")], "Benefits [1-10]");
        assert_eq!(rows[1][col("participants")], "Ola");
        assert_eq!(rows[1][col("author")], "Fieldworker 1");
        let (_, _, bytes) =
            download(&app, "/exports/notes.csv?include=site,staff_names", &co).await;
        let rows = read_csv(&bytes);
        assert_eq!(rows[1][rows[0].len() - 1], "Bergen clinic");
        assert!(rows[1].contains(&"fw@example.org".to_string()));
        // Each file has its header and its rows.
        for (kind, first, n) in [
            ("participants", "participant_id", 1),
            ("interviews", "interview_id", 1),
            ("postponements", "postponement_id", 0),
            ("sessions", "session_id", 0),
            ("screenings", "screening_id", 1),
            ("consents", "consent_id", 0),
        ] {
            let (status, _, bytes) = download(&app, &format!("/exports/{kind}.csv"), &co).await;
            assert_eq!(status, 200, "{kind}");
            let rows = read_csv(&bytes);
            assert_eq!(rows[0][0], first, "{kind}");
            assert_eq!(rows.len(), n + 1, "{kind}: {rows:?}");
        }
        // Screenings: one column per item of the instrument version.
        let (_, _, bytes) = download(&app, "/exports/screenings.csv", &co).await;
        let rows = read_csv(&bytes);
        let item = rows[0]
            .iter()
            .position(|c| c.starts_with("poss v") && c.ends_with(": sedation"))
            .unwrap_or_else(|| panic!("{:?}", rows[0]));
        assert_eq!(rows[1][item], "2");
        assert_eq!(rows[1][1], "Ola");
        // Reasons as codes, and in the instrument's own words.
        let col = |name: &str| rows[0].iter().position(|c| c == name).expect(name);
        assert!(!rows[1][col("reasons")].is_empty(), "{:?}", rows[1]);
        assert!(
            rows[1][col("reason_words")].len() > rows[1][col("reasons")].len(),
            "{:?}",
            rows[1]
        );
        let r = app.get("/exports/everything.csv", &co).await;
        assert!(matches!(r.status, 404 | 422), "{}", r.body);
    }
);

db_test!(
    exports_beyond_the_limit_are_refused_at_once_and_the_slots_come_back,
    env = [("FIELDNOTES_MAX_EXPORTS", "2".to_string())],
    |app: TestApp| async move {
        let a = app.create_site("Clinic A").await;
        let (_, co) = app.user("co@example.org", "coordinator", &[a]).await;
        // About 14 MB of notes: more than the pipe and the socket buffers
        // hold, so an export whose client does not read stays under way.
        let body = "word ".repeat(19_000);
        let posts = (0..150).map(|_| {
            app.post(
                "/notes",
                &co,
                json!({"id": Uuid::new_v4(), "site_id": a, "observed_at": iso(Utc::now()), "location": "outside", "body": body}),
            )
        });
        for r in futures_util::future::join_all(posts).await {
            assert_eq!(r.status, 201, "{}", r.body);
        }
        let start = || {
            app.client
                .get(app.url("/exports/notes.csv"))
                .bearer_auth(&co)
                .send()
        };
        // As many exports under way as the instance runs at once (one by
        // default; here two), their bodies not read...
        let first = start().await.expect("first");
        let second = start().await.expect("second");
        assert_eq!(
            (first.status().as_u16(), second.status().as_u16()),
            (200, 200)
        );
        // ...and the next, CSV or project, is refused at once.
        for path in ["/exports/notes.csv", "/exports/project.qdpx"] {
            let r = app.get(path, &co).await;
            assert_eq!(r.status, 429, "{path}: {}", r.body);
            assert_eq!(r.body["code"], "export_busy");
            assert_eq!(r.headers["retry-after"], "60");
        }
        // A client that goes away gives its slot back.
        drop((first, second));
        let mut status = 0;
        for _ in 0..100 {
            let (s, _, _) = download(&app, "/exports/participants.csv", &co).await;
            status = s;
            if s == 200 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(status, 200, "the slots came back");
    }
);

db_test!(
    the_codebook_keeps_the_teams_order,
    |app: TestApp| async move {
        let a = app.create_site("Clinic A").await;
        let (_, co) = app.user("co@example.org", "coordinator", &[a]).await;
        // Table 1's order, which is not the alphabet's.
        let medical = code(&app, &co, "Medical", None, None).await;
        let relational = code(&app, &co, "Relational", None, None).await;
        let config = code(&app, &co, "Configurational", None, None).await;
        let dose = code(&app, &co, "Dose", Some(&medical), None).await;
        let craving = code(&app, &co, "Craving", Some(&medical), None).await;
        let staff = code(&app, &co, "Staff", Some(&relational), None).await;
        let names = |body: &Value| -> Vec<String> {
            body["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|c| s(&c["name"]))
                .collect()
        };
        let r = app.get("/codes", &co).await;
        assert_eq!(
            names(&r.body),
            [
                "Medical",
                "Dose",
                "Craving",
                "Relational",
                "Staff",
                "Configurational"
            ]
        );
        assert_eq!(r.body["items"][2]["position"], 1);
        // Craving before Dose; Configurational first.
        let r = app
            .patch(&format!("/codes/{craving}"), &co, json!({"position": 0}))
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["position"], 0);
        let r = app
            .patch(&format!("/codes/{config}"), &co, json!({"position": 0}))
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        // Staff moves under Medical, second; past the end goes last.
        let r = app
            .patch(
                &format!("/codes/{staff}"),
                &co,
                json!({"parent_id": medical, "position": 1}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let r = app
            .patch(
                &format!("/codes/{relational}"),
                &co,
                json!({"position": 99}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let r = app.get("/codes", &co).await;
        assert_eq!(
            names(&r.body),
            [
                "Configurational",
                "Medical",
                "Craving",
                "Staff",
                "Dose",
                "Relational"
            ]
        );
        let r = app.get("/codes?tree=true", &co).await;
        let kids: Vec<String> = r.body["items"][1]["children"]
            .as_array()
            .expect("children")
            .iter()
            .map(|c| s(&c["name"]))
            .collect();
        assert_eq!(kids, ["Craving", "Staff", "Dose"]);
        let r = app
            .patch(&format!("/codes/{dose}"), &co, json!({"position": -1}))
            .await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert_eq!(r.body["errors"][0]["pointer"], "/position");
        // The exported project lists the codes in the same order.
        let (status, _, bytes) = download(&app, "/exports/project.qdpx", &co).await;
        assert_eq!(status, 200);
        let read = read_with("qdpx.py", &bytes, ".qdpx");
        assert_eq!(
            read["code_order"],
            json!([
                "Configurational",
                "Medical",
                "Craving",
                "Staff",
                "Dose",
                "Relational"
            ])
        );
    }
);

db_test!(
    passages_are_retrieved_by_code_with_their_source,
    |app: TestApp| async move {
        let a = app.create_site("Clinic A").await;
        let b = app.create_site("Clinic B").await;
        let (_, co) = app.user("co@example.org", "coordinator", &[a]).await;
        let (_, co_b) = app.user("cob@example.org", "coordinator", &[b]).await;
        let (fw, fw_token) = app.user("fw@example.org", "fieldworker", &[a]).await;
        let (_, fw_b) = app.user("fwb@example.org", "fieldworker", &[b]).await;
        let waiting = code(&app, &co, "Waiting", None, None).await;
        let queue = code(&app, &co, "Queue", Some(&waiting), None).await;
        let other = code(&app, &co, "Staff", None, None).await;
        let ola = participant(&app, &co, a, "Ola", 60).await;
        // A passage of a note, and a note coded whole with the child code.
        let n1 = note(
            &app,
            &fw_token,
            a,
            "Ola venter i kø ved luka.",
            &[&ola],
            &[],
        )
        .await;
        let r = app
            .post(
                &format!("/notes/{n1}/codings"),
                &fw_token,
                json!({"code_id": waiting, "start": 4, "end": 15}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let n2 = note(&app, &fw_token, a, "Lang kø i dag.", &[], &[&queue]).await;
        note(&app, &fw_token, a, "Not coded with it.", &[], &[&other]).await;
        // Another site's note with the same code is not theirs to see.
        let nb = note(&app, &fw_b, b, "Kø i Bergen.", &[], &[&waiting]).await;
        // A transcript passage coded with the child code.
        let r = book(&app, &co, &ola, oslo(2, 9, 0), &[fw]).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let iv = s(&r.body["id"]);
        let r = app
            .post(
                &format!("/interviews/{iv}/transcripts"),
                &co,
                json!({"language": "nb", "body": "I: Hvordan var køen?\nP: Køen var verst."}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let t = s(&r.body["id"]);
        let r = app
            .post(
                &format!("/transcripts/{t}/codings"),
                &co,
                json!({"code_id": queue, "start": 24, "end": 38}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(r.body["quote"], "Køen var verst");

        let r = app.get(&format!("/passages?code_id={waiting}"), &co).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["total"], 3, "{}", r.body);
        let items = r.body["items"].as_array().expect("items").clone();
        let by_source = |kind: &str| -> Vec<Value> {
            items
                .iter()
                .filter(|p| p["source"] == kind)
                .cloned()
                .collect()
        };
        let notes = by_source("note");
        let passage = notes
            .iter()
            .find(|p| p["note_id"] == json!(n1))
            .expect("note passage");
        assert_eq!(passage["quote"], "venter i kø");
        assert_eq!(passage["participants"][0]["pseudonym"], "Ola");
        assert_eq!(passage["wave"], Value::Null);
        let whole = notes
            .iter()
            .find(|p| p["note_id"] == json!(n2))
            .expect("whole note");
        assert_eq!(whole["coding_id"], Value::Null);
        assert_eq!(whole["start"], Value::Null);
        assert_eq!(whole["quote"], "Lang kø i dag.");
        assert_eq!(whole["code_id"], json!(queue));
        let tr = by_source("transcript");
        assert_eq!(tr.len(), 1);
        assert_eq!(tr[0]["transcript_id"], json!(t));
        assert_eq!(tr[0]["interview_id"], json!(iv));
        assert_eq!(tr[0]["wave"], 1);
        assert_eq!(tr[0]["participants"][0]["id"], json!(ola));
        assert!(!items.iter().any(|p| p["note_id"] == json!(nb)));
        // In date order: the notes an hour ago, the interview in two days.
        assert_eq!(items.last().expect("last")["source"], "transcript");

        // Without the codes under it, and by source, site and period.
        let r = app
            .get(&format!("/passages?code_id={waiting}&children=false"), &co)
            .await;
        assert_eq!(r.body["total"], 1, "{}", r.body);
        let r = app
            .get(
                &format!("/passages?code_id={waiting}&source=transcript"),
                &co,
            )
            .await;
        assert_eq!(r.body["total"], 1, "{}", r.body);
        let to = iso(Utc::now());
        let r = app
            .send(
                app.client
                    .get(app.url("/passages"))
                    .bearer_auth(&co)
                    .query(&[("code_id", waiting.as_str()), ("to", to.as_str())]),
            )
            .await;
        assert_eq!(r.body["total"], 2, "{}", r.body);
        let r = app
            .get(&format!("/passages?code_id={waiting}&site_id={b}"), &co)
            .await;
        assert_eq!(
            r.body["total"], 0,
            "another site's passages are not counted: {}",
            r.body
        );
        let r = app
            .get(&format!("/passages?code_id={waiting}"), &co_b)
            .await;
        assert_eq!(r.body["total"], 1, "{}", r.body);
        assert_eq!(r.body["items"][0]["note_id"], json!(nb));

        // Paged one at a time, every passage once.
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(c) => format!("/passages?code_id={waiting}&limit=1&cursor={c}"),
                None => format!("/passages?code_id={waiting}&limit=1"),
            };
            let r = app.get(&path, &co).await;
            assert_eq!(r.status, 200, "{}", r.body);
            seen.extend(r.body["items"].as_array().expect("items").clone());
            match r.body["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => break,
            }
        }
        assert_eq!(seen, items);

        // Refusals.
        let r = app
            .get(&format!("/passages?code_id={waiting}&cursor=nonsense"), &co)
            .await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert_eq!(r.body["errors"][0]["pointer"], "/cursor");
        let r = app
            .get(&format!("/passages?code_id={}", Uuid::now_v7()), &co)
            .await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert_eq!(r.body["errors"][0]["pointer"], "/code_id");
        let r = app.get("/passages", &co).await;
        assert_eq!(r.status, 422, "{}", r.body);
        let r = app
            .get(&format!("/passages?code_id={waiting}"), &fw_token)
            .await;
        assert_eq!(r.status, 403, "{}", r.body);
        // Every retrieval is in the audit log.
        let r = app
            .get("/audit?action=passage.list", &app.admin_token)
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(
            r.body["items"].as_array().expect("items").len() >= 5,
            "{}",
            r.body
        );
    }
);

/// A Word document written by python-docx, not by Fieldnotes.
fn word_document(spec: Value) -> Vec<u8> {
    use base64::Engine;
    let out = read_with("make_docx.py", spec.to_string().as_bytes(), ".json");
    base64::engine::general_purpose::STANDARD
        .decode(out["base64"].as_str().expect("base64"))
        .expect("bytes")
}

db_test!(
    a_word_document_becomes_a_transcripts_text,
    |app: TestApp| async move {
        let a = app.create_site("Clinic A").await;
        let (_, co) = app.user("co@example.org", "coordinator", &[a]).await;
        let (fw, fw_token) = app.user("fw@example.org", "fieldworker", &[a]).await;
        const DOCX: &str =
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
        let bytes = word_document(json!({
            "paragraphs": ["I: Hvordan har uka vært?", "P:\tBedre, takk. Blåbær 😀.", ""],
            "table": [["Tid", "Hvem"], ["09:00", "P"]],
        }));
        let send = |token: &str, ct: &str, body: Vec<u8>| {
            app.client
                .post(app.url("/transcripts/docx-text"))
                .bearer_auth(token)
                .header("content-type", ct)
                .body(body)
        };
        let r = app.send(send(&co, DOCX, bytes.clone())).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let text = "I: Hvordan har uka vært?\nP:\tBedre, takk. Blåbær 😀.\n\nTid\tHvem\n09:00\tP";
        assert_eq!(r.body["body"], text);
        assert_eq!(r.body["characters"], text.chars().count());
        // The text is saved as a transcript like any other.
        let pid = participant(&app, &co, a, "Ola", 60).await;
        let iv = s(&book(&app, &co, &pid, oslo(2, 9, 0), &[fw]).await.body["id"]);
        let r = app
            .post(
                &format!("/interviews/{iv}/transcripts"),
                &co,
                json!({"language": "nb", "body": r.body["body"]}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(r.body["body"], text);
        // What is not a Word document, or has no words, is refused plainly.
        let r = app
            .send(send(&co, DOCX, b"PK\x03\x04 not really".to_vec()))
            .await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert_eq!(r.body["code"], "docx_unreadable");
        let r = app
            .send(send(
                &co,
                DOCX,
                word_document(json!({"paragraphs": ["", "  "]})),
            ))
            .await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert_eq!(r.body["code"], "docx_empty");
        let r = app.send(send(&co, "text/plain", bytes.clone())).await;
        assert_eq!(r.status, 415, "{}", r.body);
        let r = app.send(send(&fw_token, DOCX, bytes)).await;
        assert_eq!(r.status, 403, "{}", r.body);
    }
);

db_test!(
    a_codes_usage_is_told_before_it_is_deleted,
    |app: TestApp| async move {
        let a = app.create_site("Clinic A").await;
        let b = app.create_site("Clinic B").await;
        let (_, co) = app.user("co@example.org", "coordinator", &[a]).await;
        let (_, fw) = app.user("fw@example.org", "fieldworker", &[a]).await;
        let (_, fw_b) = app.user("fwb@example.org", "fieldworker", &[b]).await;
        let used = code(&app, &co, "Waiting", None, None).await;
        let child = code(&app, &co, "Queue", Some(&used), None).await;
        let unused = code(&app, &co, "Staff", None, None).await;
        let n = note(&app, &fw, a, "Ola venter.", &[], &[&used]).await;
        let r = app
            .post(
                &format!("/notes/{n}/codings"),
                &fw,
                json!({"code_id": used, "start": 0, "end": 3}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let r = app.get(&format!("/codes/{used}/usage"), &co).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(
            r.body,
            json!({"codings": 2, "children": 1, "used_elsewhere": false})
        );
        let r = app.get(&format!("/codes/{unused}/usage"), &co).await;
        assert_eq!(
            r.body,
            json!({"codings": 0, "children": 0, "used_elsewhere": false})
        );
        // Another site's use is said, never counted.
        note(&app, &fw_b, b, "Kø.", &[], &[&child]).await;
        let r = app.get(&format!("/codes/{child}/usage"), &co).await;
        assert_eq!(
            r.body,
            json!({"codings": 0, "children": 0, "used_elsewhere": true})
        );
        assert_eq!(
            app.get(&format!("/codes/{used}/usage"), &fw).await.status,
            403
        );
        assert_eq!(
            app.get(&format!("/codes/{}/usage", Uuid::now_v7()), &co)
                .await
                .status,
            404
        );
    }
);

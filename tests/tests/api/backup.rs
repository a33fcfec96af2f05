//! A backup taken while notes are being written restores whole: every note
//! acknowledged before it started is there once, the database checks out,
//! and search finds the notes.
use std::sync::{
    atomic::{AtomicBool, Ordering},
    Arc, Mutex,
};

use chrono::Utc;
use fieldnotes::{
    app::startup::Application,
    kernel::config::{Settings, Source},
};
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{spawn_app, Db, TestApp, PASSWORD, TEST_SECRET};

fn settings_for(url: &str, dir: &std::path::Path) -> Settings {
    let vars = [
        ("FIELDNOTES_DATABASE_URL", url.to_string()),
        ("FIELDNOTES_BIND", "127.0.0.1:0".to_string()),
        ("FIELDNOTES_DATA_DIR", dir.display().to_string()),
        ("FIELDNOTES_JWT_SECRET", TEST_SECRET.to_string()),
    ];
    let lookup = move |k: &str| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone());
    Settings::from_source(&Source(&lookup)).expect("settings")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_during_writes_restores_every_acknowledged_note() {
    let app: TestApp = spawn_app(Db::Sqlite, &[]).await;
    let site = app.create_site("Clinic A").await;
    let (_, fw) = app.user("fw@example.org", "fieldworker", &[site]).await;
    let acked: Arc<Mutex<Vec<(Uuid, String)>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (acked, stop) = (acked.clone(), stop.clone());
        let (client, url, fw) = (app.client.clone(), app.url("/notes"), fw.clone());
        tokio::spawn(async move {
            let mut n = 0u32;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let id = Uuid::new_v4();
                let word = format!("zqx{n}kw");
                let r = client
                    .post(&url)
                    .bearer_auth(&fw)
                    .json(&json!({"id": id, "site_id": site, "observed_at": Utc::now().to_rfc3339(), "location": "waiting_room", "body": format!("Backup test note {word}")}))
                    .send()
                    .await;
                if r.is_ok_and(|r| r.status() == 201) {
                    acked.lock().expect("lock").push((id, word));
                }
            }
        })
    };
    while acked.lock().expect("lock").len() < 150 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let before: Vec<(Uuid, String)> = acked.lock().expect("lock").clone();
    let file = app.data_dir.join("backup.db");
    let url = format!(
        "sqlite://{}?mode=rwc",
        app.data_dir.join("test.db").display()
    );
    let settings = settings_for(&url, &app.data_dir);
    let copied = fieldnotes::app::backup::backup(&settings, &file)
        .await
        .expect("the backup");
    // Writes went on while the copy was made.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    stop.store(true, Ordering::Relaxed);
    writer.await.expect("writer");
    assert!(acked.lock().expect("lock").len() > before.len());
    assert!(copied.notes as usize >= before.len());

    // Restore into a new data directory and serve it.
    let dir = std::env::temp_dir().join(format!("fieldnotes-restore-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("dir");
    let restored_url = format!("sqlite://{}?mode=rwc", dir.join("fieldnotes.db").display());
    let settings = settings_for(&restored_url, &dir);
    let checked = fieldnotes::app::backup::restore(&settings, &file)
        .await
        .expect("the restore");
    assert_eq!(checked.notes, copied.notes);
    let served = Application::build(settings)
        .await
        .expect("serve the restore");
    let base = format!("http://127.0.0.1:{}", served.port());
    tokio::spawn(served.run_until_stopped());
    let client = reqwest::Client::new();
    let token = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"email": "fw@example.org", "password": PASSWORD}))
        .send()
        .await
        .expect("login")
        .json::<serde_json::Value>()
        .await
        .expect("json")["access_token"]
        .as_str()
        .expect("token")
        .to_string();
    for (id, _) in &before {
        let r = client
            .get(format!("{base}/api/v1/notes/{id}"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("get");
        assert_eq!(
            r.status(),
            200,
            "note {id} acknowledged before the backup is missing"
        );
    }
    // Every one of them once, and search finds them (every 10th, to be quick).
    for (id, word) in before.iter().step_by(10) {
        let page: serde_json::Value = client
            .get(format!("{base}/api/v1/notes?q={word}"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("search")
            .json()
            .await
            .expect("json");
        let ids: Vec<&str> = page["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|n| n["id"].as_str())
            .collect();
        assert_eq!(ids, vec![id.to_string().as_str()], "search for {word}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_refuses_a_path_that_exists_even_a_dangling_symlink() {
    let app: TestApp = spawn_app(Db::Sqlite, &[]).await;
    let url = format!(
        "sqlite://{}?mode=rwc",
        app.data_dir.join("test.db").display()
    );
    let settings = settings_for(&url, &app.data_dir);
    // A symlink to a file that does not exist (yet): writing through it
    // would put participant data wherever the link points.
    let elsewhere = app.data_dir.join("elsewhere.db");
    let dangling = app.data_dir.join("dangling.db");
    std::os::unix::fs::symlink(&elsewhere, &dangling).expect("symlink");
    let err = fieldnotes::app::backup::backup(&settings, &dangling)
        .await
        .expect_err("a dangling symlink is refused");
    assert!(err.to_string().contains("exists"), "{err:#}");
    assert!(!elsewhere.exists(), "nothing was written through the link");
    // A live symlink and a plain file, likewise.
    std::fs::write(&elsewhere, b"keep me").expect("file");
    for path in [&dangling, &elsewhere] {
        assert!(fieldnotes::app::backup::backup(&settings, path)
            .await
            .is_err());
    }
    assert_eq!(std::fs::read(&elsewhere).expect("read"), b"keep me");
    // A new path works.
    let fresh = app.data_dir.join("fresh.db");
    fieldnotes::app::backup::backup(&settings, &fresh)
        .await
        .expect("backup");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&fresh)
        .expect("meta")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

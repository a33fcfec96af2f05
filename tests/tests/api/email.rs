use std::sync::{Arc, Mutex};

use mailin_embedded::{response, Handler, Response, Server, SslConfig};
use serde_json::json;

use crate::helpers::{spawn_app, Db, TestApp};

#[derive(Clone, Default)]
struct Inbox(Arc<Mutex<Vec<String>>>, Arc<Mutex<Vec<u8>>>);

impl Handler for Inbox {
    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.1.lock().expect("lock").extend_from_slice(buf);
        Ok(())
    }
    fn data_end(&mut self) -> Response {
        let msg = String::from_utf8_lossy(&std::mem::take(&mut *self.1.lock().expect("lock")))
            .to_string();
        self.0.lock().expect("lock").push(msg);
        response::OK
    }
}

/// A real SMTP server on a free port, in a thread of its own.
fn smtp_server() -> (u16, Inbox) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let inbox = Inbox::default();
    let mut server = Server::new(inbox.clone());
    server
        .with_name("smtp.test")
        .with_ssl(SslConfig::None)
        .expect("ssl")
        .with_tcp_listener(listener);
    std::thread::spawn(move || {
        let _ = server.serve();
    });
    (port, inbox)
}

async fn wait_for_mail(inbox: &Inbox, n: usize) -> Vec<String> {
    for _ in 0..100 {
        let got = inbox.0.lock().expect("lock").clone();
        if got.len() >= n {
            return got;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no mail arrived over SMTP");
}

fn token_from(mail: &str) -> String {
    // quoted-printable may wrap lines; undo soft breaks first
    let flat = mail
        .replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=");
    let start = flat.find("token=").expect("link with token") + "token=".len();
    flat[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

async fn invitation_flow(app: TestApp, inbox: Inbox) {
    let r = app
        .post("/users", &app.admin_token, json!({"email": "new@example.org", "display_name": "New Peer", "role": "fieldworker", "peer_researcher": true}))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["has_password"], false);
    let mails = wait_for_mail(&inbox, 1).await;
    assert!(mails[0].contains("new@example.org"));
    assert!(mails[0].contains("http://fieldnotes.test/#/accept?token="));
    let token = token_from(&mails[0]);
    // The page of the link asks first whether it works; asking uses nothing up.
    let check = |path: &'static str, token: String| {
        let app = &app;
        async move {
            app.send(
                app.client
                    .post(app.url(path))
                    .json(&json!({"token": token})),
            )
            .await
        }
    };
    for _ in 0..2 {
        let r = check("/auth/invitations/check", token.clone()).await;
        assert_eq!(r.status, 204, "{}", r.body);
    }
    // An invitation's token is no reset link, and a made-up one is nothing.
    let r = check("/auth/password-reset/check", token.clone()).await;
    assert_eq!(r.status, 422, "{}", r.body);
    let r = check("/auth/invitations/check", "made-up".into()).await;
    assert_eq!(
        (r.status, &r.body["errors"][0]["pointer"]),
        (422, &json!("/token"))
    );
    let weak = app
        .send(
            app.client
                .post(app.url("/auth/invitations/accept"))
                .json(&json!({"token": token, "password": "short"})),
        )
        .await;
    assert_eq!(weak.status, 422);
    let ok = app
        .send(
            app.client
                .post(app.url("/auth/invitations/accept"))
                .json(&json!({"token": token, "password": "my new long password"})),
        )
        .await;
    assert_eq!(ok.status, 204, "{}", ok.body);
    app.login("new@example.org", "my new long password").await;
    let again = app
        .send(
            app.client
                .post(app.url("/auth/invitations/accept"))
                .json(&json!({"token": token, "password": "another long password"})),
        )
        .await;
    assert_eq!(again.status, 422, "links are single-use");
    let r = check("/auth/invitations/check", token.clone()).await;
    assert_eq!(
        r.status, 422,
        "a used link is said to be dead when its page opens"
    );
    assert_eq!(again.body["code"], "invalid_token");
    // naming the field with a code like every other field error
    assert_eq!(
        (
            &again.body["errors"][0]["pointer"],
            &again.body["errors"][0]["code"]
        ),
        (&json!("/token"), &json!("invalid_link")),
        "{}",
        again.body
    );
    // password reset works the same way; unknown emails get the same answer
    let r = app
        .send(
            app.client
                .post(app.url("/auth/password-reset"))
                .json(&json!({"email": "nobody@example.org"})),
        )
        .await;
    assert_eq!(r.status, 202);
    let r = app
        .send(
            app.client
                .post(app.url("/auth/password-reset"))
                .json(&json!({"email": "new@example.org"})),
        )
        .await;
    assert_eq!(r.status, 202);
    let mails = wait_for_mail(&inbox, 2).await;
    assert_eq!(mails.len(), 2, "no mail for an unknown address");
    let token = token_from(&mails[1]);
    let r = check("/auth/password-reset/check", token.clone()).await;
    assert_eq!(r.status, 204, "{}", r.body);
    let ok = app
        .send(
            app.client
                .post(app.url("/auth/password-reset/confirm"))
                .json(&json!({"token": token, "password": "reset long password"})),
        )
        .await;
    assert_eq!(ok.status, 204);
    app.login("new@example.org", "reset long password").await;
    let r = check("/auth/password-reset/check", token).await;
    assert_eq!(r.status, 422, "{}", r.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invitation_over_smtp_sqlite() {
    let (port, inbox) = smtp_server();
    let app = spawn_app(
        Db::Sqlite,
        &[("FIELDNOTES_SMTP_URL", format!("smtp://127.0.0.1:{port}"))],
    )
    .await;
    invitation_flow(app, inbox).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invitation_over_smtp_postgres() {
    let Some(db) = Db::postgres().await else {
        return;
    };
    let (port, inbox) = smtp_server();
    let app = spawn_app(
        db,
        &[("FIELDNOTES_SMTP_URL", format!("smtp://127.0.0.1:{port}"))],
    )
    .await;
    invitation_flow(app, inbox).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_is_kept_in_the_outbox_while_smtp_is_down_then_sent() {
    // Reserve a port, then close it: nothing listens there yet.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("a")
        .port();
    let app = spawn_app(
        Db::Sqlite,
        &[("FIELDNOTES_SMTP_URL", format!("smtp://127.0.0.1:{port}"))],
    )
    .await;
    let r = app
        .post(
            "/users",
            &app.admin_token,
            json!({"email": "later@example.org", "display_name": "Later", "role": "fieldworker"}),
        )
        .await;
    assert_eq!(r.status, 201);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    use sea_orm::EntityTrait;
    let rows = entity::outbox::Entity::find()
        .all(&app.state.db)
        .await
        .expect("rows");
    assert_eq!(rows.len(), 1);
    assert!(rows[0].sent_at.is_none());
    assert!(rows[0].attempts >= 1, "a failed attempt is recorded");
    assert!(rows[0].last_error.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_smtp_mail_is_written_as_files() {
    let app = spawn_app(Db::Sqlite, &[]).await;
    let r = app
        .post(
            "/users",
            &app.admin_token,
            json!({"email": "file@example.org", "display_name": "F", "role": "coordinator"}),
        )
        .await;
    assert_eq!(r.status, 201);
    let dir = app.data_dir.join("mail");
    for _ in 0..50 {
        let files: Vec<_> = std::fs::read_dir(&dir)
            .map(|d| d.flatten().collect())
            .unwrap_or_default();
        if let Some(f) = files
            .iter()
            .find(|f| f.path().extension().is_some_and(|e| e == "eml"))
        {
            let text = std::fs::read_to_string(f.path()).expect("read");
            assert!(text.contains("file@example.org"));
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no .eml file written");
}

/// Several instances on one database each run the mail worker: every message
/// is sent exactly once.
async fn concurrent_workers_send_each_message_once(app: TestApp) {
    use fieldnotes::{
        app::{email::Mailer, jobs::drain_once},
        kernel::outbox::{enqueue, NewMail},
    };
    for i in 0..40 {
        let queued = enqueue(
            &app.state.db,
            NewMail {
                to: format!("p{i}@example.org"),
                subject: format!("message {i}"),
                body: "hello".into(),
                dedupe_key: Some(format!("test:{i}")),
            },
        )
        .await
        .expect("enqueue");
        assert!(queued);
    }
    // the same dedupe key is never queued twice
    let again = enqueue(
        &app.state.db,
        NewMail {
            to: "p0@example.org".into(),
            subject: "dup".into(),
            body: "x".into(),
            dedupe_key: Some("test:0".into()),
        },
    )
    .await
    .expect("enqueue");
    assert!(!again);
    let from: lettre::message::Mailbox = "Fieldnotes <f@example.org>".parse().expect("mailbox");
    let mut handles = Vec::new();
    for n in 0..4 {
        let db = app.state.db.clone();
        let from = from.clone();
        let mut settings = (*app.state.settings).clone();
        settings.smtp_url = None;
        settings.data_dir = app.data_dir.join(format!("instance{n}"));
        handles.push(tokio::spawn(async move {
            let mailer = Mailer::from_settings(&settings).expect("mailer");
            drain_once(&db, &mailer, &from, fieldnotes::kernel::outbox::LEASE)
                .await
                .expect("drain")
        }));
    }
    let mut total = 0;
    for h in handles {
        total += h.await.expect("join");
    }
    assert_eq!(total, 40);
    fn count_eml(dir: &std::path::Path) -> usize {
        std::fs::read_dir(dir)
            .map(|d| {
                d.flatten()
                    .map(|e| {
                        let p = e.path();
                        if p.is_dir() {
                            count_eml(&p)
                        } else {
                            usize::from(p.extension().is_some_and(|x| x == "eml"))
                        }
                    })
                    .sum()
            })
            .unwrap_or(0)
    }
    let files = count_eml(&app.data_dir);
    assert_eq!(
        files, 40,
        "each message written exactly once across instances"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_workers_sqlite() {
    concurrent_workers_send_each_message_once(
        spawn_app(Db::Sqlite, &[("FIELDNOTES_RUN_WORKERS", "false".into())]).await,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_workers_postgres() {
    let Some(db) = Db::postgres().await else {
        return;
    };
    concurrent_workers_send_each_message_once(
        spawn_app(db, &[("FIELDNOTES_RUN_WORKERS", "false".into())]).await,
    )
    .await;
}

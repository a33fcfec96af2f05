use serde_json::json;

use crate::db_test;
use crate::helpers::TestApp;

db_test!(
    participants_are_pseudonymous_and_site_scoped,
    |app: TestApp| async move {
        let a = app.create_site("Clinic A").await;
        let b = app.create_site("Clinic B").await;
        let (_, co_a) = app.user("co-a@example.org", "coordinator", &[a]).await;
        let (_, fw_a) = app.user("fw-a@example.org", "fieldworker", &[a]).await;
        let (_, co_b) = app.user("co-b@example.org", "coordinator", &[b]).await;
        let new = |site: uuid::Uuid, ps: &str| json!({"pseudonym": ps, "site_id": site, "treatment_started_on": "2026-10-01", "age_band": "30-39"});
        let r = app.post("/participants", &co_a, new(a, "P01")).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let p1 = r.body["id"].as_str().expect("id").to_string();
        assert_eq!(r.body["status"], "active");
        // pseudonyms are unique within a site, case-insensitive; another
        // site's pseudonyms are none of this site's business
        let r = app.post("/participants", &co_a, new(a, "p01")).await;
        assert_eq!(r.status, 409);
        let r = app.post("/participants", &co_b, new(b, "p01")).await;
        assert_eq!(r.status, 201, "{}", r.body);
        // no place for identifying data
        let mut bad = new(a, "P02");
        bad["name"] = json!("Ola Nordmann");
        bad["phone"] = json!("+47 12345678");
        let r = app.post("/participants", &co_a, bad).await;
        assert_eq!(r.status, 422);
        assert_eq!(r.body["errors"][0]["code"], "identifying", "{}", r.body);
        assert!(r.body["errors"][0]["detail"]
            .as_str()
            .is_some_and(|d| d.contains("pseudonym only")));
        // a coordinator cannot register at another site, a fieldworker not at all
        assert_eq!(
            app.post("/participants", &co_a, new(b, "P03"))
                .await
                .errors_pointer(),
            "/site_id"
        );
        assert_eq!(
            app.post("/participants", &fw_a, new(a, "P04")).await.status,
            403
        );
        let r = app.post("/participants", &co_b, new(b, "P05")).await;
        assert_eq!(r.status, 201);
        let p5 = r.body["id"].as_str().expect("id").to_string();
        // lists, filters and ids never show another site's participants
        let list = app.get("/participants", &fw_a).await;
        let names: Vec<&str> = list.body["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|p| p["pseudonym"].as_str())
            .collect();
        assert_eq!(names, vec!["P01"]);
        let list = app.get(&format!("/participants?site_id={b}"), &fw_a).await;
        assert_eq!(list.body["items"], json!([]));
        assert_eq!(
            app.get(&format!("/participants/{p5}"), &fw_a).await.status,
            404
        );
        assert_eq!(
            app.patch(
                &format!("/participants/{p5}"),
                &co_a,
                json!({"status": "ended"})
            )
            .await
            .status,
            404
        );
        let list = app
            .get("/participants?pseudonym_prefix=p0", &app.admin_token)
            .await;
        // P01 at each site, and P05
        assert_eq!(list.body["items"].as_array().map(|a| a.len()), Some(3));
        // change, and every read and write is audited
        let r = app
            .patch(
                &format!("/participants/{p1}"),
                &co_a,
                json!({"status": "withdrawn"}),
            )
            .await;
        assert_eq!(r.body["status"], "withdrawn");
        assert_eq!(
            app.get(&format!("/participants/{p1}"), &fw_a).await.status,
            200
        );
        let audit = app
            .get(&format!("/audit?object_id={p1}"), &app.admin_token)
            .await;
        let actions: Vec<&str> = audit.body["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|e| e["action"].as_str())
            .collect();
        assert_eq!(
            actions,
            vec![
                "participant.read",
                "participant.update",
                "participant.create"
            ]
        );
    }
);

/// Upgrading a database whose site holds two pseudonyms that look alike
/// (allowed before look-alikes counted as the same) keeps both, and new
/// look-alikes are refused from then on.
#[tokio::test]
async fn the_upgrade_to_per_site_pseudonyms_keeps_existing_look_alikes() {
    use migration::MigratorTrait;
    use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
    let dir = std::env::temp_dir().join(format!("fieldnotes-upgrade-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).expect("dir");
    let url = format!("sqlite://{}?mode=rwc", dir.join("db.sqlite").display());
    let db = sea_orm::Database::connect(&url).await.expect("db");
    migration::Migrator::up(&db, Some(8))
        .await
        .expect("migrations 1-8");
    let now = chrono::Utc::now();
    let site_id = uuid::Uuid::now_v7();
    // Columns of later migrations stay out of the insert, and nothing is read back.
    entity::site::Entity::insert(entity::site::ActiveModel {
        id: Set(site_id),
        name: Set("Clinic A".into()),
        timezone: Set("Europe/Oslo".into()),
        opening_hours: Set(json!([])),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec_without_returning(&db)
    .await
    .expect("site");
    for (name, old_key) in [
        ("Anna", "anna"),
        ("\u{ff21}nna", "\u{ff41}nna"),
        ("Berit", "berit"),
    ] {
        entity::participant::ActiveModel {
            id: Set(uuid::Uuid::now_v7()),
            site_id: Set(site_id),
            pseudonym: Set(name.into()),
            pseudonym_key: Set(old_key.into()),
            treatment_started_on: Set(chrono::NaiveDate::from_ymd_opt(2026, 10, 1).expect("date")),
            status: Set("active".into()),
            gender: Set(None),
            age_band: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&db)
        .await
        .expect("participant");
    }
    migration::Migrator::up(&db, None).await.expect("the rest");
    let rows = entity::participant::Entity::find()
        .filter(entity::participant::Column::SiteId.eq(site_id))
        .all(&db)
        .await
        .expect("rows");
    assert_eq!(rows.len(), 3, "nothing lost");
    let simple = site_id.simple().to_string();
    let keys: Vec<&str> = rows.iter().map(|r| r.pseudonym_key.as_str()).collect();
    assert_eq!(keys[0], format!("{simple}:anna"));
    assert!(keys[1].starts_with(&format!("{simple}:anna#")), "{keys:?}");
    assert_eq!(keys[2], format!("{simple}:berit"));
    assert_eq!(rows[2].pseudonym_folded.as_deref(), Some("berit"));
    std::fs::remove_dir_all(&dir).ok();
}

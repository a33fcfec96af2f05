use serde_json::json;

use crate::db_test;
use crate::helpers::TestApp;

db_test!(
    a_fieldworker_sees_only_their_sites,
    |app: TestApp| async move {
        let a = app.create_site("Clinic A").await;
        let b = app.create_site("Clinic B").await;
        let (_, fw_a) = app.user("fw-a@example.org", "fieldworker", &[a]).await;
        let (other, _) = app.user("fw-b@example.org", "fieldworker", &[b]).await;
        let sites = app.get("/sites", &fw_a).await;
        let ids: Vec<&str> = sites
            .body
            .as_array()
            .expect("list")
            .iter()
            .filter_map(|s| s["id"].as_str())
            .collect();
        assert_eq!(ids, vec![a.to_string()]);
        let r = app.get(&format!("/sites/{b}"), &fw_a).await;
        assert_eq!(r.status, 404, "another site's object looks like nothing");
        let r = app
            .get(&format!("/sites/{}", uuid::Uuid::new_v4()), &fw_a)
            .await;
        assert_eq!(r.status, 404);
        let r = app.get(&format!("/users/{other}"), &fw_a).await;
        assert_eq!(r.status, 404);
        let users = app.get("/users", &fw_a).await;
        assert!(!users.body.to_string().contains("fw-b@example.org"));
        // admin-only actions
        assert_eq!(
            app.post(
                "/sites",
                &fw_a,
                json!({"name": "C", "timezone": "Europe/Oslo"})
            )
            .await
            .status,
            403
        );
        assert_eq!(app.get("/audit", &fw_a).await.status, 403);
        assert_eq!(
            app.patch(&format!("/sites/{a}"), &fw_a, json!({"name": "Mine"}))
                .await
                .status,
            403
        );
        let me = app.get("/me", &fw_a).await;
        assert_eq!(me.body["role"], "fieldworker");
        assert_eq!(me.body["site_ids"], json!([a.to_string()]));
    }
);

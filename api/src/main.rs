//! The `fieldnotes` binary: parse the command line, load settings, run.
use std::io::{BufRead, IsTerminal};

use clap::{Parser, Subcommand};
use fieldnotes::{
    access::password,
    app::startup::Application,
    kernel::config::Settings,
    kernel::{
        access::Role,
        audit::{self, Actor, Entry},
    },
};
use sea_orm::TransactionTrait;

#[derive(Parser)]
#[command(
    name = "fieldnotes",
    version,
    about = "Fieldnotes: fieldwork notes, interviews and screening-gated consent"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the service (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Create an admin account. The password comes from FIELDNOTES_ADMIN_PASSWORD,
    /// or is read from standard input (prompted when it is a terminal).
    CreateAdmin {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
    },
    /// Print the OpenAPI document.
    Openapi,
    /// Load a demo study into an empty database: two clinics, a team (with a
    /// peer researcher), a dozen pseudonymous participants, interviews, notes
    /// and the source paper's codebook. Prints the accounts and their shared
    /// password (FIELDNOTES_DEMO_PASSWORD, or a generated one).
    Demo,
    /// Copy the running SQLite database to a new file (consistent, while
    /// the service keeps serving); checks the copy.
    Backup {
        #[arg(long)]
        to: std::path::PathBuf,
    },
    /// Put a backup in place of the SQLite database. Stop every instance
    /// first; the backup is checked before anything is replaced.
    Restore {
        #[arg(long)]
        from: std::path::PathBuf,
    },
}

fn main() {
    let cli = Cli::parse();
    let filter = || {
        tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| "info,sqlx=warn,sea_orm=warn".into())
    };
    let json =
        std::env::var("FIELDNOTES_LOG_FORMAT").is_ok_and(|v| v.trim().eq_ignore_ascii_case("json"));
    if json {
        // One JSON object a line; the request's fields are in the event
        // itself, so the span (with its path) is left out.
        tracing_subscriber::fmt()
            .json()
            .with_current_span(false)
            .with_span_list(false)
            .with_env_filter(filter())
            .with_writer(std::io::stderr)
            .init();
    } else {
        tracing_subscriber::fmt()
            .with_env_filter(filter())
            .with_writer(std::io::stderr)
            .init();
    }
    let settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("fieldnotes: configuration error: {e}");
            std::process::exit(2);
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("fieldnotes: cannot start the runtime: {e}");
            std::process::exit(1);
        }
    };
    let res = rt.block_on(async move {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => serve(settings).await,
            Command::Migrate => {
                let db = fieldnotes::app::db::connect(&settings).await?;
                fieldnotes::app::db::migrate(&db).await?;
                println!("migrations applied");
                Ok(())
            }
            Command::CreateAdmin { email, name } => create_admin(settings, email, name).await,
            Command::Openapi => {
                print!("{}", fieldnotes::app::startup::api_doc_json());
                Ok(())
            }
            Command::Demo => demo(settings).await,
            Command::Backup { to } => {
                let c = fieldnotes::app::backup::backup(&settings, &to).await?;
                println!(
                    "backup written to {} ({} notes, integrity ok)",
                    to.display(),
                    c.notes
                );
                Ok(())
            }
            Command::Restore { from } => {
                let c = fieldnotes::app::backup::restore(&settings, &from).await?;
                fieldnotes::app::db::migrate(&fieldnotes::app::db::connect(&settings).await?)
                    .await?;
                println!(
                    "restored {} ({} notes, integrity ok)",
                    from.display(),
                    c.notes
                );
                Ok(())
            }
        }
    });
    if let Err(e) = res {
        eprintln!("fieldnotes: {e:#}");
        std::process::exit(1);
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let public = settings.public_url.clone();
    let mail = match &settings.smtp_url {
        Some(_) => "over SMTP".to_string(),
        None => format!("as .eml files in {}", settings.mail_dir().display()),
    };
    let db_kind = if settings.is_sqlite() {
        "SQLite"
    } else {
        "PostgreSQL"
    };
    let app = Application::build(settings.clone()).await?;
    let addr = std::net::SocketAddr::new(settings.bind.ip(), app.port());
    if settings.log_json {
        // Machine-read logs: the banner is one more JSON line.
        tracing::info!(address = %addr, database = db_kind, mail = %mail, docs = %format!("{public}/docs/"), "fieldnotes listening");
    } else {
        println!("fieldnotes listening on http://{addr} ({db_kind}; mail {mail})");
        println!("API docs: {public}/docs/  ·  OpenAPI: {public}/api/v1/openapi.json  ·  health: {public}/health");
    }
    app.run_until_stopped().await?;
    Ok(())
}

fn read_password() -> anyhow::Result<String> {
    if let Ok(p) = std::env::var("FIELDNOTES_ADMIN_PASSWORD") {
        return Ok(p);
    }
    if std::io::stdin().is_terminal() {
        return Ok(rpassword::prompt_password(
            "Password for the new admin (12+ characters): ",
        )?);
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

async fn create_admin(settings: Settings, email: String, name: String) -> anyhow::Result<()> {
    let email = fieldnotes::access::auth::normalize_email(&email);
    if !fieldnotes::access::users::valid_email(&email) {
        anyhow::bail!("--email: not an email address");
    }
    let pw = read_password()?;
    if let Err(e) = password::check_strength("password", &pw) {
        anyhow::bail!("password {}", e.detail);
    }
    let db = fieldnotes::app::db::connect(&settings).await?;
    fieldnotes::app::db::migrate(&db).await?;
    let hash = password::hash(pw)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let txn = db.begin().await?;
    let user = fieldnotes::access::users::create(
        &txn,
        fieldnotes::access::users::NewUser {
            email,
            display_name: name,
            role: Role::Admin,
            peer_researcher: false,
            site_ids: vec![],
            password_hash: Some(hash),
            language: Default::default(),
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    audit::record(
        &txn,
        &Actor::system(),
        Entry::new("user.create_admin", "user", user.id),
    )
    .await?;
    txn.commit().await?;
    println!("admin {} created ({})", user.email, user.id);
    Ok(())
}

async fn demo(settings: Settings) -> anyhow::Result<()> {
    let db = fieldnotes::app::db::connect(&settings).await?;
    fieldnotes::app::db::migrate(&db).await?;
    let password = std::env::var("FIELDNOTES_DEMO_PASSWORD").ok();
    let d = fieldnotes::app::demo::load(&db, password, chrono::Utc::now(), &settings.public_url)
        .await?;
    println!(
        "Demo study loaded: {} sites, {} team members, {} participants, {} interviews, {} notes, {} codes.",
        d.sites,
        d.accounts.len(),
        d.participants,
        d.interviews,
        d.notes,
        d.codes
    );
    println!(
        "Start the service (fieldnotes serve) and sign in at {}/ with one of these accounts:\n",
        settings.public_url.trim_end_matches('/')
    );
    for a in &d.accounts {
        println!(
            "  {:<12} {:<30} {} ({})",
            a.role.as_str(),
            a.email,
            a.name,
            a.about
        );
    }
    println!(
        "\n  password (the same for every demo account): {}",
        d.password
    );
    Ok(())
}

//! `mcpsec admin …` (bootstrap: tenants, users, API keys, straight against the
//! configured store) and `mcpsec audit verify|export` (the audit hash chain).
//! Every change made here is written to the audit log with the actor `cli`.
//! The demo credentials of `serve --demo` are made here too.

use std::io::{BufRead, Write};

use anyhow::{Context, bail};
use chrono::{Duration, Utc};
use clap::Subcommand;
use mcpsec_core::TenantId;
use mcpsec_core::auth::{ChainVerifier, KeyKind, NewAuditRecord, User};
use mcpsec_core::domain::Tenant;
use mcpsec_core::store::Store;
use mcpsec_server::auth::{new_key, password, resolve_role};

use crate::config::Config;

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create a tenant.
    CreateTenant {
        id: String,
        #[arg(long)]
        name: Option<String>,
    },
    /// Create a user. The password is read from stdin (first line) unless
    /// --password-env names an environment variable that holds it.
    CreateUser {
        /// User name (unique across the installation).
        #[arg(long)]
        username: String,
        /// The user's tenant; omit for a platform user (role platform-admin).
        #[arg(long)]
        tenant: Option<String>,
        /// owner, admin, analyst, viewer, ingest-only, a custom role, or platform-admin.
        #[arg(long)]
        role: String,
        #[arg(long)]
        password_env: Option<String>,
    },
    /// Create an API key and print it (it is shown only once).
    CreateApiKey {
        /// The key's tenant; omit for a platform key (role platform-admin).
        #[arg(long)]
        tenant: Option<String>,
        #[arg(long)]
        role: String,
        #[arg(long, default_value = "cli")]
        name: String,
        /// Days until the key expires (default: never).
        #[arg(long)]
        expires: Option<u32>,
    },
    /// Revoke an API key or session by its id (the part after `mcpsec_`).
    RevokeApiKey { id: String },
    /// List the API keys and sessions of a tenant (or of the platform).
    ListApiKeys {
        #[arg(long)]
        tenant: Option<String>,
    },
    /// Print a new random 256-bit key (base64) for `[secrets]` (a key file or variable).
    GenerateKey,
    /// Encrypt stdin's first line with the active `[secrets]` key and print
    /// the envelope to put in the configuration.
    EncryptSecret {
        /// The configuration key the value is for, e.g. auth.oidc.client_secret.
        #[arg(long)]
        context: String,
    },
    /// Re-wrap every encrypted value in a configuration file (`--file`)
    /// and/or every user's TOTP secret in the store (`--store`; secrets
    /// still stored in plain are encrypted) under the active `[secrets]` key
    /// (after adding a new key and making it active).
    RotateKey {
        #[arg(long, required_unless_present = "store")]
        file: Option<std::path::PathBuf>,
        #[arg(long)]
        store: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute the hash chain; report the first altered, removed or reordered record.
    Verify,
    /// Write audit records as JSON lines.
    Export {
        /// Only this tenant's records.
        #[arg(long)]
        tenant: Option<String>,
        /// Output file (default: stdout).
        #[arg(long, conflicts_with = "syslog")]
        output: Option<std::path::PathBuf>,
        /// Send each record as an RFC 5424 message to a syslog receiver
        /// instead: `udp://host:514` or `tcp://host:514` (docs/security.md).
        #[arg(long, value_name = "URL")]
        syslog: Option<String>,
        /// Only records after this sequence number (to forward incrementally).
        #[arg(long, default_value_t = 0)]
        after: u64,
    },
}

fn tenant_arg(t: Option<&str>) -> anyhow::Result<Option<TenantId>> {
    t.map(|t| TenantId::new(t).with_context(|| format!("tenant {t:?}")))
        .transpose()
}

fn cli_audit(
    tenant: Option<&TenantId>,
    action: &str,
    target: &str,
    details: &[(&str, &str)],
) -> NewAuditRecord {
    NewAuditRecord {
        at: Utc::now(),
        tenant: tenant.cloned(),
        actor: "cli".into(),
        action: action.into(),
        target: Some(target.into()),
        outcome: "success".into(),
        details: details
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

async fn api_err<T>(r: Result<T, mcpsec_server::error::ApiError>) -> anyhow::Result<T> {
    r.map_err(|e| anyhow::anyhow!("{}: {}", e.code, e.message))
}

/// Creates a user (the role checked against the scope) and records it.
pub async fn create_user(
    store: &dyn Store,
    tenant: Option<&TenantId>,
    username: &str,
    role: &str,
    password_text: &str,
) -> anyhow::Result<User> {
    api_err(mcpsec_server::auth::routes::validate_username(username).map(|_| ())).await?;
    api_err(resolve_role(store, tenant, role).await).await?;
    if let Some(t) = tenant
        && store.get_tenant(t).await?.is_none()
    {
        bail!("tenant {t} does not exist");
    }
    let hash = password::hash_password(password_text)?;
    let now = Utc::now();
    let user = User {
        id: format!("u-{}", password::random_token(12).to_lowercase()),
        tenant: tenant.cloned(),
        username: username.to_string(),
        role: role.to_string(),
        password_hash: hash,
        totp: None,
        recovery_code_hashes: Vec::new(),
        failed_logins: 0,
        locked_until: None,
        disabled: false,
        created_at: now,
        updated_at: now,
    };
    store.create_user(&user).await?;
    store
        .append_audit(cli_audit(
            tenant,
            "user.create",
            username,
            &[("role", role)],
        ))
        .await?;
    Ok(user)
}

/// Creates an API key; returns its id and the key to show once.
pub async fn create_api_key(
    store: &dyn Store,
    tenant: Option<&TenantId>,
    role: &str,
    name: &str,
    expires_days: Option<u32>,
) -> anyhow::Result<(String, String)> {
    api_err(resolve_role(store, tenant, role).await).await?;
    if let Some(t) = tenant
        && store.get_tenant(t).await?.is_none()
    {
        bail!("tenant {t} does not exist");
    }
    let expires = expires_days.map(|d| Utc::now() + Duration::days(i64::from(d)));
    let (record, key) = new_key(tenant.cloned(), role, name, KeyKind::ApiKey, None, expires);
    store.create_api_key(&record).await?;
    store
        .append_audit(cli_audit(
            tenant,
            "api_key.create",
            &record.id,
            &[("role", role), ("name", name)],
        ))
        .await?;
    Ok((record.id, key))
}

fn read_password(env: Option<&str>) -> anyhow::Result<String> {
    if let Some(var) = env {
        return std::env::var(var)
            .with_context(|| format!("environment variable {var} is not set"));
    }
    eprintln!("password (one line on stdin):");
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let pw = line.trim_end_matches(['\r', '\n']).to_string();
    if pw.is_empty() {
        bail!("no password on stdin");
    }
    Ok(pw)
}

pub async fn admin(cfg: Config, command: AdminCommand) -> anyhow::Result<()> {
    match &command {
        AdminCommand::GenerateKey => {
            crate::cmd_secrets::generate_key();
            return Ok(());
        }
        AdminCommand::EncryptSecret { context } => {
            return crate::cmd_secrets::encrypt_secret(&cfg, context).await;
        }
        AdminCommand::RotateKey { file, store } => {
            if let Some(file) = file {
                crate::cmd_secrets::rotate_key(&cfg, file).await?;
            }
            if *store {
                crate::cmd_secrets::rotate_store(&cfg).await?;
            }
            return Ok(());
        }
        _ => {}
    }
    let store = crate::backends::build_store(&cfg).await?;
    match command {
        AdminCommand::CreateTenant { id, name } => {
            let id = TenantId::new(id.clone()).with_context(|| format!("tenant id {id:?}"))?;
            let tenant = Tenant {
                name: name.unwrap_or_else(|| id.to_string()),
                id,
                created_at: Utc::now(),
            };
            store.create_tenant(&tenant).await?;
            store
                .append_audit(cli_audit(
                    Some(&tenant.id),
                    "tenant.create",
                    tenant.id.as_str(),
                    &[],
                ))
                .await?;
            println!("created tenant {}", tenant.id);
        }
        AdminCommand::CreateUser {
            username,
            tenant,
            role,
            password_env,
        } => {
            let tenant = tenant_arg(tenant.as_deref())?;
            let pw = read_password(password_env.as_deref())?;
            let user = create_user(store.as_ref(), tenant.as_ref(), &username, &role, &pw).await?;
            println!(
                "created user {} ({}) with role {}",
                user.username, user.id, user.role
            );
        }
        AdminCommand::CreateApiKey {
            tenant,
            role,
            name,
            expires,
        } => {
            let tenant = tenant_arg(tenant.as_deref())?;
            let (id, key) =
                create_api_key(store.as_ref(), tenant.as_ref(), &role, &name, expires).await?;
            eprintln!(
                "created API key {id} ({} role {role}); it is shown only once:",
                tenant
                    .map(|t| format!("tenant {t},"))
                    .unwrap_or_else(|| "platform,".into())
            );
            println!("{key}");
        }
        AdminCommand::RevokeApiKey { id } => {
            let id = mcpsec_core::auth::parse_key(&id)
                .map(|(id, _)| id.to_string())
                .unwrap_or(id);
            let Some(key) = store.find_api_key(&id).await? else {
                bail!("no API key {id}");
            };
            let revoked = store
                .revoke_api_key(key.tenant.as_ref(), &id, Utc::now())
                .await?;
            store
                .append_audit(cli_audit(key.tenant.as_ref(), "api_key.revoke", &id, &[]))
                .await?;
            println!(
                "revoked API key {id} at {}",
                revoked.revoked_at.unwrap_or_default().to_rfc3339()
            );
        }
        AdminCommand::ListApiKeys { tenant } => {
            let tenant = tenant_arg(tenant.as_deref())?;
            for k in store.list_api_keys(tenant.as_ref()).await? {
                let state = k.unusable(Utc::now()).unwrap_or("active");
                println!(
                    "{}\t{:?}\t{}\t{}\t{}\tlast used {}",
                    k.id,
                    k.kind,
                    k.role,
                    k.name,
                    state,
                    k.last_used_at
                        .map(|t| t.to_rfc3339())
                        .unwrap_or_else(|| "never".into())
                );
            }
        }
        // Handled above, without a store.
        AdminCommand::GenerateKey
        | AdminCommand::EncryptSecret { .. }
        | AdminCommand::RotateKey { .. } => {}
    }
    Ok(())
}

pub async fn audit(cfg: Config, command: AuditCommand) -> anyhow::Result<()> {
    let store = crate::backends::build_store(&cfg).await?;
    const PAGE: u32 = 1000;
    match command {
        AuditCommand::Verify => {
            let mut v = ChainVerifier::default();
            let mut after = 0;
            loop {
                let page = store.list_audit(None, after, PAGE).await.with_context(|| {
                    format!("audit chain broken: a record after {after} cannot be read")
                })?;
                let Some(last) = page.last() else { break };
                after = last.seq;
                for r in &page {
                    v.push(r)?;
                }
            }
            println!(
                "audit chain intact: {} records, head {}",
                v.count(),
                v.head()
            );
        }
        AuditCommand::Export {
            tenant,
            syslog: Some(url),
            after,
            ..
        } => {
            let tenant = tenant_arg(tenant.as_deref())?;
            let mut sink = crate::audit_syslog::SyslogSink::connect(&url)?;
            let host = crate::audit_syslog::hostname();
            let (mut after, mut n, mut last) = (after, 0u64, None);
            loop {
                let page = store.list_audit(tenant.as_ref(), after, PAGE).await?;
                let Some(tail) = page.last() else { break };
                after = tail.seq;
                for r in &page {
                    sink.send(&crate::audit_syslog::format_record(r, &host)?)?;
                    n += 1;
                    last = Some(r.seq);
                }
            }
            sink.flush()?;
            match last {
                Some(seq) => eprintln!("sent {n} audit records to {url} (last seq {seq})"),
                None => eprintln!("no audit records to send"),
            }
        }
        AuditCommand::Export {
            tenant,
            output,
            after,
            ..
        } => {
            let tenant = tenant_arg(tenant.as_deref())?;
            let mut out: Box<dyn Write> = match &output {
                Some(path) => Box::new(std::io::BufWriter::new(
                    std::fs::File::create(path)
                        .with_context(|| format!("creating {}", path.display()))?,
                )),
                None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
            };
            let mut after = after;
            let mut n = 0u64;
            loop {
                let page = store.list_audit(tenant.as_ref(), after, PAGE).await?;
                let Some(last) = page.last() else { break };
                after = last.seq;
                for r in &page {
                    serde_json::to_writer(&mut out, r)?;
                    out.write_all(b"\n")?;
                    n += 1;
                }
            }
            out.flush()?;
            eprintln!("exported {n} audit records");
        }
    }
    Ok(())
}

/// What `serve --demo` prints.
pub struct DemoCredentials {
    pub api_key: String,
    /// The owner login, when it was created now (its password is shown once).
    pub owner_login: Option<(String, String)>,
}

/// A fresh owner API key for the demo tenant (valid 30 days) and, the first
/// time, a `demo-owner` user with a random password.
pub async fn demo_credentials(store: &dyn Store, tenant: &str) -> anyhow::Result<DemoCredentials> {
    let tenant = TenantId::new(tenant)?;
    let (_, api_key) = create_api_key(store, Some(&tenant), "owner", "demo", Some(30)).await?;
    let owner_login = if store.find_user_by_username("demo-owner").await?.is_none() {
        let pw = password::random_token(20);
        create_user(store, Some(&tenant), "demo-owner", "owner", &pw).await?;
        Some(("demo-owner".to_string(), pw))
    } else {
        None
    };
    Ok(DemoCredentials {
        api_key,
        owner_login,
    })
}

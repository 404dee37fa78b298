//! `ralph auth`: makes credentials for the LRS basic authentication, as Ralph 5.1.

use std::io::{BufRead, Write};

use anyhow::{Context, bail};
use clap::{ArgGroup, Args};
use ralph_core::settings::Settings;
use ralph_lrs::auth::{UserCredentials, add_user, hash_password};
use ralph_lrs::{LrsConfig, Scope};
use serde_json::{Map, Value, json};

fn scope(name: &str) -> Result<Scope, String> {
    Scope::parse(name).ok_or_else(|| {
        let known: Vec<&str> = Scope::ALL.iter().map(|s| s.as_str()).collect();
        format!("unknown scope; expected one of {}", known.join(", "))
    })
}

/// Options of `auth`.
#[derive(Debug, Args)]
#[command(group(
    ArgGroup::new("ifi")
        .required(true)
        .multiple(false)
        .args(["agent_ifi_mbox", "agent_ifi_mbox_sha1sum", "agent_ifi_openid", "agent_ifi_account"])
))]
pub struct AuthArgs {
    /// The user for which we generate credentials.
    #[arg(short = 'u', long)]
    pub username: String,
    /// The password to encrypt for this user; read from standard input when missing.
    #[arg(short = 'p', long)]
    pub password: Option<String>,
    /// The user scope(s); this option can be given multiple times.
    #[arg(short = 's', long = "scope", required = true, value_parser = scope)]
    pub scopes: Vec<Scope>,
    /// The target location where statements are stored for the user.
    #[arg(short = 't', long)]
    pub target: Option<String>,
    /// The mbox Inverse Functional Identifier of the associated agent (`mailto:…`).
    #[arg(short = 'M', long)]
    pub agent_ifi_mbox: Option<String>,
    /// The mbox-sha1sum Inverse Functional Identifier of the associated agent.
    #[arg(short = 'S', long)]
    pub agent_ifi_mbox_sha1sum: Option<String>,
    /// The openid Inverse Functional Identifier of the associated agent.
    #[arg(short = 'O', long)]
    pub agent_ifi_openid: Option<String>,
    /// The account Inverse Functional Identifier of the associated agent: NAME HOMEPAGE.
    #[arg(short = 'A', long, num_args = 2, value_names = ["NAME", "HOMEPAGE"])]
    pub agent_ifi_account: Option<Vec<String>>,
    /// The name of the associated agent.
    #[arg(short = 'N', long)]
    pub agent_name: Option<String>,
    /// Write new credentials to the LRS authentication file.
    #[arg(short = 'w', long)]
    pub write_to_disk: bool,
}

fn agent(args: &AuthArgs) -> anyhow::Result<Value> {
    let mut agent = Map::new();
    agent.insert("objectType".into(), json!("Agent"));
    if let Some(name) = &args.agent_name {
        agent.insert("name".into(), json!(name));
    }
    if let Some(mbox) = &args.agent_ifi_mbox {
        if !mbox.starts_with("mailto:") {
            bail!(ralph_core::Error::config(
                "`--agent-ifi-mbox` must start with `mailto:`"
            ));
        }
        agent.insert("mbox".into(), json!(mbox));
    }
    if let Some(sum) = &args.agent_ifi_mbox_sha1sum {
        agent.insert("mbox_sha1sum".into(), json!(sum));
    }
    if let Some(openid) = &args.agent_ifi_openid {
        agent.insert("openid".into(), json!(openid));
    }
    if let Some([name, home_page]) = args.agent_ifi_account.as_deref() {
        agent.insert(
            "account".into(),
            json!({"name": name, "homePage": home_page}),
        );
    }
    Ok(Value::Object(agent))
}

fn read_password() -> anyhow::Result<String> {
    let mut line = String::new();
    eprint!("Password: ");
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        bail!(ralph_core::Error::config("the password cannot be empty"));
    }
    Ok(password)
}

/// Hashes the password and prints the credentials entry, or appends it to the credentials file
/// with `--write-to-disk`.
pub fn run(settings: Settings, args: AuthArgs) -> anyhow::Result<()> {
    let config = LrsConfig::from_settings(&settings)?;
    let path = config.auth_file_path();
    let agent = agent(&args)?;
    let password = match &args.password {
        Some(p) => p.clone(),
        None => read_password()?,
    };
    let credentials = UserCredentials {
        agent,
        scopes: args.scopes.clone(),
        target: args.target.clone(),
        hash: hash_password(&password)?,
        username: args.username.clone(),
    };
    if args.write_to_disk {
        add_user(&path, credentials)?;
        tracing::info!(
            "credentials of `{}` written to `{}`",
            args.username,
            path.display()
        );
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "Copy/paste the following credentials to your LRS authentication file located in: {}",
        path.display()
    )?;
    writeln!(out, "{}", serde_json::to_string_pretty(&credentials)?)?;
    Ok(())
}

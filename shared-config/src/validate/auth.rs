//! The `auth` section: provider, token service settings, OIDC, service accounts.

use ledger_types::PartyId;

use super::fields::{bounded, choice, entries, required_text, required_url, url};
use crate::issues::{Issues, YamlPath};
use crate::model::{
    AuthConfig, AuthMode, AuthProvider, BuiltinAuth, KeyAlgorithm, MARK_PUBLISHER_ACCOUNT,
    OidcAuth, Profile, SCHEDULER_ACCOUNT, ServiceAccount,
};
use crate::raw::{RawAuth, RawBuiltin, RawOidc, RawServiceAccount};
use crate::secret::Secret;

/// Shortest access-token lifetime. Clients refresh at 80 % of it; below a minute every service
/// would refresh every few seconds, a storm in waiting.
pub(super) const MIN_TOKEN_TTL_SECONDS: u64 = 60;
/// Longest access-token lifetime. There is no revocation: short lifetimes are the design.
pub(super) const MAX_TOKEN_TTL_SECONDS: u64 = 86_400;
/// Longest refresh-token lifetime: 30 days.
const MAX_REFRESH_TTL_SECONDS: u64 = 30 * 86_400;

/// What the auth validator needs from other sections.
pub(super) struct AuthContext<'a> {
    pub(super) profile: Option<Profile>,
    pub(super) auth_public_url: Option<&'a str>,
    pub(super) scheduler_enabled: bool,
}

pub(super) fn auth(
    raw: Option<RawAuth>,
    context: &AuthContext<'_>,
    issues: &mut Issues,
) -> Option<AuthConfig> {
    let path = YamlPath::root("auth");
    let Some(raw) = raw else {
        issues.push(&path, "required");
        return None;
    };
    let provider = choice(
        raw.provider.as_deref(),
        None,
        &path.key("provider"),
        &[
            ("demo", AuthProvider::Demo),
            ("builtin", AuthProvider::Builtin),
            ("oidc", AuthProvider::Oidc),
        ],
        issues,
    );
    if provider == Some(AuthProvider::Demo) && context.profile == Some(Profile::Production) {
        issues.push(
            path.key("provider"),
            "\"demo\" (unsafe HS256 tokens signed with a shared secret) is not allowed when profile is \"production\"; use \"builtin\" or \"oidc\"",
        );
    }

    let builtin = raw
        .builtin
        .map(|builtin| self::builtin(builtin, context, &path.key("builtin"), issues));
    let oidc = raw
        .oidc
        .map(|oidc| self::oidc(oidc, &path.key("oidc"), issues));
    let raw_accounts = raw.service_accounts.unwrap_or_default();
    // An entry with problems of its own is still declared; it must not also be reported missing.
    let declared_ids: Vec<String> = raw_accounts
        .iter()
        .flatten()
        .filter_map(|account| account.id.clone())
        .collect();
    let service_accounts =
        service_accounts(raw_accounts, provider, &path.key("serviceAccounts"), issues);

    let provider = provider?;
    if provider != AuthProvider::Demo {
        let accounts = path.key("serviceAccounts");
        let declared = |id: &str| declared_ids.iter().any(|declared| declared == id);
        if !declared(MARK_PUBLISHER_ACCOUNT) {
            issues.push(
                accounts.id(MARK_PUBLISHER_ACCOUNT),
                format!("required when auth.provider is \"{provider}\""),
            );
        }
        if context.scheduler_enabled && !declared(SCHEDULER_ACCOUNT) {
            issues.push(
                accounts.id(SCHEDULER_ACCOUNT),
                format!(
                    "required when auth.provider is \"{provider}\" and scheduler.enabled is true"
                ),
            );
        }
    }
    let required = |section: &str, issues: &mut Issues| {
        issues.push(
            path.key(section),
            format!("required when auth.provider is \"{provider}\""),
        );
    };
    let mode = match provider {
        AuthProvider::Demo => AuthMode::Demo,
        AuthProvider::Builtin => match builtin {
            Some(builtin) => AuthMode::Builtin(builtin?),
            None => {
                required("builtin", issues);
                return None;
            }
        },
        AuthProvider::Oidc => {
            if builtin.is_none() {
                required("builtin", issues);
            }
            if oidc.is_none() {
                required("oidc", issues);
            }
            AuthMode::Oidc(builtin??, oidc??)
        }
    };
    Some(AuthConfig {
        mode,
        service_accounts,
    })
}

fn builtin(
    raw: RawBuiltin,
    context: &AuthContext<'_>,
    path: &YamlPath,
    issues: &mut Issues,
) -> Option<BuiltinAuth> {
    let issuer = match raw.issuer {
        Some(issuer) => {
            url(&issuer, &path.key("issuer"), &["http", "https"], issues).map(|_| issuer)
        }
        // The default is the public URL as the operator wrote it, less a trailing slash, so the
        // `iss` claim reads the way the operator expects.
        None => context
            .auth_public_url
            .map(|url| url.trim_end_matches('/').to_owned()),
    };
    let key_algorithm = match raw.key_algorithm.as_deref() {
        None | Some("RS256") => Some(KeyAlgorithm::Rs256),
        Some(other) => {
            issues.push(
                path.key("keyAlgorithm"),
                format!("unsupported algorithm {other:?}; the auth service implements \"RS256\""),
            );
            None
        }
    };
    let token_ttl_seconds = bounded(
        raw.token_ttl_seconds,
        900,
        (MIN_TOKEN_TTL_SECONDS, MAX_TOKEN_TTL_SECONDS),
        "seconds (clients refresh at 80 % of it: shorter storms the auth service, longer outlives a leaked token)",
        &path.key("tokenTtlSeconds"),
        issues,
    );
    let refresh_floor = token_ttl_seconds.unwrap_or(MIN_TOKEN_TTL_SECONDS);
    let refresh_ttl_seconds = bounded(
        raw.refresh_ttl_seconds,
        86_400.max(refresh_floor),
        (refresh_floor, MAX_REFRESH_TTL_SECONDS),
        "seconds (at least tokenTtlSeconds, at most 30 days)",
        &path.key("refreshTtlSeconds"),
        issues,
    );
    let port = match raw.port.unwrap_or(3002) {
        0 => {
            issues.push(
                path.key("port"),
                "must be between 1 and 65535; 0 would listen on a random port",
            );
            None
        }
        port => Some(port),
    };
    Some(BuiltinAuth {
        issuer: issuer?,
        key_algorithm: key_algorithm?,
        token_ttl_seconds: token_ttl_seconds?,
        refresh_ttl_seconds: refresh_ttl_seconds?,
        port: port?,
    })
}

fn oidc(raw: RawOidc, path: &YamlPath, issues: &mut Issues) -> Option<OidcAuth> {
    let authority = required_url(
        raw.authority.as_deref(),
        &path.key("authority"),
        &["https", "http"],
        issues,
    );
    let client_id = required_text(raw.client_id, &path.key("clientId"), issues);
    let client_secret = match raw.client_secret {
        Some(secret) if secret.is_empty() => {
            issues.push(
                path.key("clientSecret"),
                "must not be empty; omit it for a public client",
            );
            None
        }
        secret => Some(secret.map(Secret::new)),
    };
    let scopes: Vec<String> = match raw.scopes {
        None => vec!["openid".to_owned()],
        Some(scopes) => entries(scopes, &path.key("scopes"), issues)
            .into_iter()
            .map(|(_, scope)| scope)
            .collect(),
    };
    Some(OidcAuth {
        authority: authority?,
        client_id: client_id?,
        client_secret: client_secret?,
        scopes,
    })
}

fn service_accounts(
    raw: Vec<Option<RawServiceAccount>>,
    provider: Option<AuthProvider>,
    path: &YamlPath,
    issues: &mut Issues,
) -> Vec<ServiceAccount> {
    let ids: Vec<Option<String>> = raw
        .iter()
        .map(|entry| entry.as_ref().and_then(|entry| entry.id.clone()))
        .collect();
    let id_refs: Vec<Option<&str>> = ids.iter().map(Option::as_deref).collect();
    let mut accounts = Vec::new();
    for (index, entry) in entries(raw, path, issues) {
        let entry_path = path.element(index, &id_refs);
        if let Some(account) =
            service_account(entry, index, &id_refs, provider, &entry_path, path, issues)
        {
            accounts.push(account);
        }
    }
    accounts
}

fn service_account(
    raw: RawServiceAccount,
    index: usize,
    ids: &[Option<&str>],
    provider: Option<AuthProvider>,
    path: &YamlPath,
    list_path: &YamlPath,
    issues: &mut Issues,
) -> Option<ServiceAccount> {
    let id = required_text(raw.id, &path.key("id"), issues).filter(|id| {
        if let Some(first) = ids.iter().position(|other| *other == Some(id.as_str())).filter(|first| *first < index) {
            issues.push(
                list_path.index(index).key("id"),
                format!("duplicate service account id {id:?} (first declared at {})", list_path.index(first)),
            );
            return false;
        }
        let kebab = id.split('-').all(|part| {
            !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
        if !kebab {
            issues.push(
                path.key("id"),
                format!(
                    "{id:?} must be kebab-case (lowercase letters, digits, single dashes): it names \
                     environment variables such as SERVICE_TOKEN_MARK_PUBLISHER"
                ),
            );
        }
        kebab
    });
    let act_as = match raw.act_as {
        None => {
            issues.push(path.key("actAs"), "required; list at least one party");
            None
        }
        Some(parties) if parties.is_empty() => {
            issues.push(path.key("actAs"), "must list at least one party");
            None
        }
        Some(parties) => parties_of(parties, provider, &path.key("actAs"), issues),
    };
    let read_as = parties_of(
        raw.read_as.unwrap_or_default(),
        provider,
        &path.key("readAs"),
        issues,
    );
    Some(ServiceAccount {
        id: id?,
        act_as: act_as?,
        read_as: read_as?,
    })
}

/// The parties of an actAs/readAs list. The auth service copies them verbatim into tokens and
/// Canton matches rights by exact string, so outside the demo provider each must be an exact
/// party id: a bare hint would mint tokens that authorize nothing.
fn parties_of(
    raw: Vec<Option<String>>,
    provider: Option<AuthProvider>,
    path: &YamlPath,
    issues: &mut Issues,
) -> Option<Vec<String>> {
    let mut parties = Vec::new();
    let mut ok = true;
    for (index, party) in entries(raw, path, issues) {
        let entry = path.index(index);
        if party.trim().is_empty() {
            issues.push(&entry, "must not be empty");
            ok = false;
        } else if let Some(provider) = provider.filter(|p| *p != AuthProvider::Demo)
            && let Err(error) = PartyId::parse(&party)
        {
            issues.push(
                &entry,
                format!("{error} (required when auth.provider is \"{provider}\": tokens carry actAs/readAs verbatim)"),
            );
            ok = false;
        } else {
            parties.push(party);
        }
    }
    ok.then_some(parties)
}

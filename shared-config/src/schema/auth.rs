//! `auth`: provider, token service settings, OIDC, service accounts; the platform's checks
//! inside the section, and two of this loader's own refusals.

use ledger_types::{PartyId, PartyIdError};
use serde_yaml_ng::Value;

use crate::issues::YamlPath;
use crate::model::{
    AuthConfig, AuthMode, AuthProvider, BuiltinAuth, OidcAuth, Profile, ServiceAccount,
};
use crate::reader::Reader;
use crate::secret::Secret;

const PROVIDERS: &[(&str, AuthProvider)] = &[
    ("demo", AuthProvider::Demo),
    ("builtin", AuthProvider::Builtin),
    ("oidc", AuthProvider::Oidc),
];

pub(super) fn auth(
    reader: &mut Reader,
    value: &Value,
    path: &YamlPath,
    profile: Option<Profile>,
) -> Option<AuthConfig> {
    let structural_before = reader.structural_count();
    let object = reader.object(
        value,
        path,
        &["provider", "builtin", "oidc", "serviceAccounts"],
    )?;
    let provider = reader.required(&object, "provider", |r, v, p| r.one_of(v, p, PROVIDERS));
    let builtin = reader.optional(&object, "builtin", builtin);
    let oidc = reader.optional(&object, "oidc", oidc);
    let service_accounts = reader.defaulted(&object, "serviceAccounts", Vec::new, |r, v, p| {
        r.list(v, p, 0, |r, v, p| service_account(r, v, p, provider))
    });

    // Refusal of this loader (the platform has no such rule): unsafe HS256 tokens signed with a
    // shared secret have no place in a production deployment.
    if provider == Some(AuthProvider::Demo) && profile == Some(Profile::Production) {
        reader.refuse(
            &path.key("provider"),
            "\"demo\" (unsafe HS256 tokens signed with a shared secret) is not allowed when profile is \"production\"; use \"builtin\" or \"oidc\"",
        );
    }

    // The platform's checks inside `auth` run when the section is structurally sound.
    let provider = provider?;
    if reader.structural_count() == structural_before {
        if provider != AuthProvider::Demo && object.get("builtin").is_none() {
            reader.refuse(
                &path.key("builtin"),
                format!("auth.builtin is required when auth.provider=\"{provider}\" (used to mint ledger JWTs)"),
            );
        }
        if provider == AuthProvider::Oidc && object.get("oidc").is_none() {
            reader.refuse(
                &path.key("oidc"),
                "auth.oidc is required when auth.provider=\"oidc\"",
            );
        }
        duplicate_ids(
            reader,
            object.get("serviceAccounts"),
            &path.key("serviceAccounts"),
        );
    }

    let (builtin, oidc) = (builtin?, oidc?);
    let mode = match provider {
        AuthProvider::Demo => AuthMode::Demo,
        AuthProvider::Builtin => AuthMode::Builtin(builtin?),
        AuthProvider::Oidc => AuthMode::Oidc(builtin?, oidc.clone()?),
    };
    Some(AuthConfig {
        mode,
        oidc,
        service_accounts: service_accounts?,
    })
}

fn builtin(reader: &mut Reader, value: &Value, path: &YamlPath) -> Option<BuiltinAuth> {
    let object = reader.object(
        value,
        path,
        &[
            "issuer",
            "keyAlgorithm",
            "tokenTtlSeconds",
            "refreshTtlSeconds",
            "port",
        ],
    )?;
    // A missing issuer was filled from platform.authPublicUrl before validation, when there is
    // one; the text is kept verbatim because it becomes the `iss` claim.
    let issuer = reader.required(&object, "issuer", Reader::url_text);
    let key_algorithm = reader.defaulted(
        &object,
        "keyAlgorithm",
        || "RS256".to_owned(),
        Reader::string,
    );
    let token_ttl_seconds =
        reader.defaulted(&object, "tokenTtlSeconds", || 900, Reader::positive_int);
    let refresh_ttl_seconds = reader.defaulted(
        &object,
        "refreshTtlSeconds",
        || 86_400,
        Reader::positive_int,
    );
    let port = reader.defaulted(&object, "port", || 3002, Reader::positive_int);
    Some(BuiltinAuth {
        issuer: issuer?,
        key_algorithm: key_algorithm?,
        token_ttl_seconds: token_ttl_seconds?,
        refresh_ttl_seconds: refresh_ttl_seconds?,
        port: port?,
    })
}

fn oidc(reader: &mut Reader, value: &Value, path: &YamlPath) -> Option<OidcAuth> {
    let object = reader.object(
        value,
        path,
        &["authority", "clientId", "clientSecret", "scopes"],
    )?;
    let authority = reader.required(&object, "authority", Reader::url);
    let client_id = reader.required(&object, "clientId", Reader::non_empty);
    let client_secret = reader.required(&object, "clientSecret", |r, v, p| {
        // A secret of the wrong type must not be quoted back; `non_empty` never quotes.
        r.non_empty(v, p).map(Secret::new)
    });
    let scopes = reader.defaulted(
        &object,
        "scopes",
        || ["openid", "profile", "email"].map(String::from).to_vec(),
        |r, v, p| r.list(v, p, 0, Reader::string),
    );
    Some(OidcAuth {
        authority: authority?,
        client_id: client_id?,
        client_secret: client_secret?,
        scopes: scopes?,
    })
}

fn service_account(
    reader: &mut Reader,
    value: &Value,
    path: &YamlPath,
    provider: Option<AuthProvider>,
) -> Option<ServiceAccount> {
    let object = reader.object(value, path, &["id", "actAs", "readAs"])?;
    let id = reader.required(&object, "id", Reader::non_empty);
    let act_as = reader.required(&object, "actAs", |r, v, p| {
        r.list(v, p, 1, |r, v, p| {
            party(r, v, p, provider, Reader::non_empty)
        })
    });
    let read_as = reader.defaulted(&object, "readAs", Vec::new, |r, v, p| {
        r.list(v, p, 0, |r, v, p| party(r, v, p, provider, Reader::string))
    });
    Some(ServiceAccount {
        id: id?,
        act_as: act_as?,
        read_as: read_as?,
    })
}

/// One actAs/readAs entry. Refusal of this loader (the platform copies any text): outside the
/// demo provider the auth service copies these verbatim into tokens and Canton matches rights
/// by exact string, so a bare hint such as `Operator` (or nothing at all) would mint tokens that
/// authorize nothing. Only that is refused here; an entry of the form `hint::namespace` is the
/// operator's to get right, as on the platform.
fn party(
    reader: &mut Reader,
    value: &Value,
    path: &YamlPath,
    provider: Option<AuthProvider>,
    read: fn(&mut Reader, &Value, &YamlPath) -> Option<String>,
) -> Option<String> {
    let party = read(reader, value, path)?;
    if let Some(provider) = provider.filter(|provider| *provider != AuthProvider::Demo)
        && let Err(error @ (PartyIdError::Empty | PartyIdError::BareHint(_))) =
            PartyId::parse(&party)
    {
        reader.refuse(
            path,
            format!(
                "{error} (required when auth.provider is \"{provider}\": the auth service copies actAs/readAs verbatim into tokens)"
            ),
        );
        return None;
    }
    Some(party)
}

/// `auth.serviceAccounts.<i>.id`: each later repeat of an id.
fn duplicate_ids(reader: &mut Reader, accounts: Option<&Value>, path: &YamlPath) {
    let Some(Value::Sequence(accounts)) = accounts else {
        return;
    };
    let mut seen: Vec<&str> = Vec::new();
    for (index, account) in accounts.iter().enumerate() {
        let Some(id) = account.get("id").and_then(Value::as_str) else {
            continue;
        };
        if seen.contains(&id) {
            reader.refuse(
                &path.index(index).key("id"),
                format!("duplicate serviceAccount id: {id}"),
            );
        } else {
            seen.push(id);
        }
    }
}

//! Branch 1 of the resolver: a token handed in through the environment.
//!
//! `SERVICE_TOKEN_<ID>` (the account id upper-cased, `-` → `_`) is used verbatim.
//! `OPERATOR_TOKEN` is the legacy name of `SERVICE_TOKEN_MARK_PUBLISHER` and applies to the
//! mark-publisher only, never to the scheduler; when both are set the new name wins. As in
//! shared-config, an empty variable counts as unset (service managers render unset values as
//! empty strings, and an empty token is never what was meant).
//!
//! Such a token is never refreshed. When it is a JWT with an `exp` claim, the handle refuses to
//! hand it out once `exp` has passed, with an error that names the variable, rather than sending
//! the ledger a token it will refuse.

use shared_config::{EnvSource, MARK_PUBLISHER_ACCOUNT};

use super::BearerToken;
use super::response::jwt_times;

/// The legacy alias of `SERVICE_TOKEN_MARK_PUBLISHER`.
pub const LEGACY_OPERATOR_TOKEN: &str = "OPERATOR_TOKEN";

/// A token found in the environment.
#[derive(Debug, Clone)]
pub struct EnvToken {
    /// The variable it came from.
    pub variable: String,
    /// The token.
    pub token: BearerToken,
    /// Its `exp` claim (seconds since the Unix epoch), when it is a JWT that has one.
    pub expires_at_unix: Option<i64>,
}

/// The variable that overrides an account's token: `SERVICE_TOKEN_` + the id upper-cased with
/// `-` replaced by `_`.
pub fn variable_name(account_id: &str) -> String {
    format!("SERVICE_TOKEN_{}", env_suffix(account_id))
}

/// The id as it appears in variable names: upper-cased, `-` → `_`.
pub fn env_suffix(account_id: &str) -> String {
    account_id.to_ascii_uppercase().replace('-', "_")
}

/// The override for this account, if one is set.
pub fn find(account_id: &str, env: &dyn EnvSource) -> Option<EnvToken> {
    let mut candidates = vec![variable_name(account_id)];
    if account_id == MARK_PUBLISHER_ACCOUNT {
        candidates.push(LEGACY_OPERATOR_TOKEN.to_owned());
    }
    candidates.into_iter().find_map(|variable| {
        let value = env
            .var(&variable)
            .filter(|value| !value.trim().is_empty())?;
        let value = value.trim().to_owned();
        let expires_at_unix = jwt_times(&value).and_then(|times| times.exp);
        Some(EnvToken {
            variable,
            token: BearerToken::new(value),
            expires_at_unix,
        })
    })
}

#[cfg(test)]
mod tests {
    use shared_config::MapEnv;

    use super::*;

    type Vars<'a> = &'a [(&'a str, &'a str)];
    type Found = Option<(String, String)>;

    fn found(account: &str, vars: Vars<'_>) -> Found {
        let env = MapEnv::new(vars.iter().copied());
        find(account, &env).map(|found| (found.variable, found.token.expose().to_owned()))
    }

    #[test]
    fn precedence_table() {
        let some = |variable: &str, token: &str| Some((variable.to_owned(), token.to_owned()));
        let cases: &[(&str, Vars<'_>, Found)] = &[
            ("mark-publisher", &[], None),
            (
                "mark-publisher",
                &[("SERVICE_TOKEN_MARK_PUBLISHER", "new")],
                some("SERVICE_TOKEN_MARK_PUBLISHER", "new"),
            ),
            (
                "mark-publisher",
                &[("OPERATOR_TOKEN", "legacy")],
                some("OPERATOR_TOKEN", "legacy"),
            ),
            (
                "mark-publisher",
                &[
                    ("OPERATOR_TOKEN", "legacy"),
                    ("SERVICE_TOKEN_MARK_PUBLISHER", "new"),
                ],
                some("SERVICE_TOKEN_MARK_PUBLISHER", "new"),
            ),
            (
                "mark-publisher",
                &[
                    ("OPERATOR_TOKEN", "legacy"),
                    ("SERVICE_TOKEN_MARK_PUBLISHER", ""),
                ],
                some("OPERATOR_TOKEN", "legacy"),
            ),
            ("scheduler", &[("OPERATOR_TOKEN", "legacy")], None),
            (
                "scheduler",
                &[
                    ("SERVICE_TOKEN_SCHEDULER", "sched"),
                    ("SERVICE_TOKEN_MARK_PUBLISHER", "new"),
                ],
                some("SERVICE_TOKEN_SCHEDULER", "sched"),
            ),
            ("scheduler", &[("SERVICE_TOKEN_SCHEDULER", "   ")], None),
            ("scheduler", &[("service_token_scheduler", "lower")], None),
            (
                "risk-feed-2",
                &[("SERVICE_TOKEN_RISK_FEED_2", " padded\n")],
                some("SERVICE_TOKEN_RISK_FEED_2", "padded"),
            ),
        ];
        for (account, vars, expected) in cases {
            assert_eq!(&found(account, vars), expected, "{account} with {vars:?}");
        }
    }

    #[test]
    fn reads_the_exp_of_a_jwt_and_nothing_from_an_opaque_token() {
        // {"alg":"none"} . {"exp":1700000000,"iat":1699999100} . (no signature)
        let jwt = "eyJhbGciOiJub25lIn0.eyJleHAiOjE3MDAwMDAwMDAsImlhdCI6MTY5OTk5OTEwMH0.";
        let env = MapEnv::new([("SERVICE_TOKEN_SCHEDULER", jwt)]);
        assert_eq!(
            find("scheduler", &env).unwrap().expires_at_unix,
            Some(1_700_000_000)
        );
        let env = MapEnv::new([("SERVICE_TOKEN_SCHEDULER", "opaque-token")]);
        assert_eq!(find("scheduler", &env).unwrap().expires_at_unix, None);
    }
}

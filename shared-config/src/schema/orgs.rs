//! `orgs` and `parties`.

use serde_yaml_ng::Value;

use crate::issues::YamlPath;
use crate::model::{Org, OrgRole, PartiesConfig};
use crate::reader::Reader;

pub(super) fn orgs(reader: &mut Reader, value: &Value, path: &YamlPath) -> Option<Vec<Org>> {
    reader.list(value, path, 1, org)
}

fn org(reader: &mut Reader, value: &Value, path: &YamlPath) -> Option<Org> {
    let object = reader.object(
        value,
        path,
        &[
            "id",
            "party",
            "displayName",
            "hint",
            "role",
            "ledgerUrl",
            "streamUrl",
            "subdomain",
        ],
    )?;
    let id = reader.required(&object, "id", Reader::non_empty);
    let party = reader.required(&object, "party", Reader::non_empty);
    let display_name = reader.required(&object, "displayName", Reader::non_empty);
    let hint = reader.required(&object, "hint", Reader::non_empty);
    let role = reader.required(&object, "role", |r, v, p| {
        r.one_of(
            v,
            p,
            &[
                ("trader", OrgRole::Trader),
                ("operator", OrgRole::Operator),
                ("regulator", OrgRole::Regulator),
            ],
        )
    });
    let ledger_url = reader.required(&object, "ledgerUrl", Reader::url);
    let stream_url = reader.optional(&object, "streamUrl", |r, v, p| {
        let text = r.string(v, p)?;
        let url = r.url(v, p);
        // Checked on the text as written, case-sensitively, as the platform does.
        if !(text.starts_with("ws://") || text.starts_with("wss://")) {
            r.refuse(p, "streamUrl must be a ws:// or wss:// URL");
            return None;
        }
        url
    });
    let subdomain = reader.optional(&object, "subdomain", Reader::string);
    Some(Org {
        id: id?,
        party: party?,
        display_name: display_name?,
        hint: hint?,
        role: role?,
        ledger_url: ledger_url?,
        stream_url: stream_url?,
        subdomain: subdomain?,
    })
}

pub(super) fn parties(
    reader: &mut Reader,
    value: &Value,
    path: &YamlPath,
) -> Option<PartiesConfig> {
    let object = reader.object(value, path, &["scheduler"])?;
    let hint = reader.defaulted(
        &object,
        "scheduler",
        || "Scheduler".to_owned(),
        |r, v, p| {
            let scheduler = r.object(v, p, &["partyHint"])?;
            r.required(&scheduler, "partyHint", Reader::non_empty)
        },
    );
    Some(PartiesConfig {
        scheduler_party_hint: hint?,
    })
}

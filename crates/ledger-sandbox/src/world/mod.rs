//! The IRSForge world: one Daml package of templates and the choices the oracle
//! drives, and the seed it starts from. The contract between this module and the oracle is
//! written down in the crate's `WORLD.md`.
//!
//! - `curve.rs`: `IRSForge.Curve:DiscountCurve` and the discount-factor function.
//! - `csa.rs`: `IRSForge.Csa:Csa` with `PublishMark` and `SettleNetByScheduler`, and the
//!   records `IRSForge.Mark:MarkToMarket`, `IRSForge.Settlement:NetSettlement`.
//! - `swap.rs`: `IRSForge.Swap:Swap` and its schedule.
//! - `lifecycle.rs`: `TriggerLifecycleByScheduler`, `MatureByScheduler` and the records
//!   `IRSForge.Lifecycle:LifecycleEffect`, `IRSForge.Lifecycle:MaturedSwap`.
//! - `seed.rs`: the parties and contracts allocated at start.

pub(crate) mod csa;
pub(crate) mod curve;
pub(crate) mod lifecycle;
pub(crate) mod seed;
pub(crate) mod swap;

use crate::template::TemplateDef;
use crate::template_id::{PackageRef, TemplateRef};

/// The package id every IRSForge template lives in (SHA-256 of `irsforge-sandbox-world-v1`).
pub const PACKAGE_ID: &str = "1b4dd4567ec3dbd6c112d1448e6b40c256bcdebb66d5ce0c806c927eebabadc7";

/// The package name, for `#irsforge:Module:Entity` template ids.
pub const PACKAGE_NAME: &str = "irsforge";

/// Every template of the package.
pub(crate) static TEMPLATES: [&TemplateDef; 7] = [
    &curve::DISCOUNT_CURVE,
    &csa::CSA,
    &csa::MARK_TO_MARKET,
    &csa::NET_SETTLEMENT,
    &swap::SWAP,
    &lifecycle::LIFECYCLE_EFFECT,
    &lifecycle::MATURED_SWAP,
];

/// The template a parsed id names, if this ledger has it.
pub(crate) fn resolve(template: &TemplateRef) -> Option<&'static TemplateDef> {
    let package_matches = match &template.package {
        PackageRef::Id(id) => id == PACKAGE_ID,
        PackageRef::Name(name) => name == PACKAGE_NAME,
        PackageRef::Unspecified => true,
    };
    if !package_matches {
        return None;
    }
    TEMPLATES
        .iter()
        .copied()
        .find(|def| def.module == template.module && def.entity == template.entity)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_all_three_id_forms_and_emits_the_package_id_form() {
        for text in [
            format!("{PACKAGE_ID}:IRSForge.Csa:Csa"),
            "#irsforge:IRSForge.Csa:Csa".to_owned(),
            "IRSForge.Csa:Csa".to_owned(),
        ] {
            let def = resolve(&TemplateRef::parse(&text).unwrap()).unwrap();
            assert_eq!(def.template_id(), format!("{PACKAGE_ID}:IRSForge.Csa:Csa"));
        }
        for unknown in [
            "otherpkg:IRSForge.Csa:Csa",
            "#other:IRSForge.Csa:Csa",
            "IRSForge.Csa:Nope",
        ] {
            assert!(
                resolve(&TemplateRef::parse(unknown).unwrap()).is_none(),
                "{unknown}"
            );
        }
    }

    #[test]
    fn template_names_are_unique() {
        for (i, a) in TEMPLATES.iter().enumerate() {
            for b in &TEMPLATES[i + 1..] {
                assert_ne!(a.qualified_name(), b.qualified_name());
            }
        }
    }
}

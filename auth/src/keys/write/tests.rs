//! Rotation and retirement on a manual clock, and the safety of every state a command passes
//! through on its way.

use std::cell::RefCell;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use service_runtime::clock::{Clock, ManualClock};
use tempfile::TempDir;

use super::*;
use crate::keys::{Schedule, load_or_create};

/// 2026-01-01T00:00:00Z.
const START: i64 = 1_767_225_600;
const STAGED: Activation = Activation::After(Duration::from_secs(340));
const TTL: RetireCheck = RetireCheck::TokensExpired {
    token_ttl: Duration::from_secs(900),
};

struct Fixture {
    dir: TempDir,
    clock: Arc<ManualClock>,
    keys: KeyDirectory,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(Utc.timestamp_opt(START, 0).unwrap()));
        let keys = KeyDirectory::new(dir.path()).with_clock(clock.clone());
        keys.load_or_create().unwrap();
        Self { dir, clock, keys }
    }

    /// Sets the clock to `START + seconds`.
    fn at(&self, seconds: i64) {
        self.clock
            .set(Utc.timestamp_opt(START + seconds, 0).unwrap());
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn kid_file(&self) -> String {
        std::fs::read_to_string(self.path(KID_FILE))
            .unwrap()
            .trim()
            .to_owned()
    }

    fn manifest(&self) -> Manifest {
        Manifest::parse(&std::fs::read(self.path(MANIFEST_FILE)).unwrap()).unwrap()
    }
}

#[test]
fn a_staged_key_is_published_at_once_and_signs_from_not_before() {
    let f = Fixture::new();
    let old = f.kid_file();
    let rotation = f.keys.rotate(STAGED).unwrap();
    assert_eq!(rotation.previous.as_deref(), Some(old.as_str()));
    assert_eq!(rotation.not_before, START + 340);
    let set = f.keys.load().unwrap();
    assert_eq!(set.published_kids(), [old.clone(), rotation.kid.clone()]);
    assert_eq!(set.active_at(START + 339).kid(), old);
    assert_eq!(set.active_at(START + 340).kid(), rotation.kid);
    // The set decides on its clock, without being loaded again.
    f.at(339);
    assert_eq!(set.active().kid(), old);
    assert_eq!(set.pending(), Some((rotation.kid.as_str(), START + 340)));
    f.at(340);
    assert_eq!(set.active().kid(), rotation.kid);
    assert_eq!(set.pending(), None);
    // The earlier layout is untouched until the staged key is settled.
    assert_eq!(f.kid_file(), old);
    let mode = std::fs::metadata(f.path(NEXT_KEY_FILE))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);

    f.at(100);
    let refused = f.keys.rotate(STAGED).unwrap_err().to_string();
    assert!(
        refused.contains(&format!(
            "a rotation is already staged: `{}` signs from 2026-01-01T00:05:40Z (in 240 s)",
            rotation.kid
        )),
        "{refused}"
    );

    // After the activation, the next rotation settles the staged key into private.pem.
    f.at(400);
    let second = f.keys.rotate(STAGED).unwrap();
    assert_eq!(second.previous.as_deref(), Some(rotation.kid.as_str()));
    assert_eq!(f.kid_file(), rotation.kid);
    assert!(f.path(PUBLISHED_DIR).join(format!("{old}.pem")).exists());
    let manifest = f.manifest();
    assert_eq!(manifest.active.file, PrivateFile::Private);
    assert_eq!(manifest.earlier[0].kid, old);
    assert_eq!(manifest.earlier[0].signed_until, START + 340);
    let set = f.keys.load().unwrap();
    assert_eq!(
        set.published_kids(),
        [rotation.kid.clone(), second.kid.clone(), old.clone()]
    );
    assert_eq!(set.active().kid(), rotation.kid);
    assert_eq!(
        set.schedule(),
        Schedule {
            active: rotation.kid,
            next: Some((second.kid, START + 740)),
            earlier: vec![(old, START + 340)],
        }
    );
}

#[test]
fn a_staged_key_open_to_group_or_others_is_refused_and_never_settled() {
    let f = Fixture::new();
    f.keys.rotate(STAGED).unwrap();
    let next = f.path(NEXT_KEY_FILE);
    let private_before = std::fs::read(f.path(PRIVATE_KEY_FILE)).unwrap();
    std::fs::set_permissions(&next, std::fs::Permissions::from_mode(0o640)).unwrap();
    let expected = format!(
        "{}: mode 0640 lets group or others read the private key; run `chmod 600 {}`",
        next.display(),
        next.display()
    );
    assert_eq!(f.keys.load().unwrap_err().to_string(), expected);
    // Past notBefore, the next command would settle the staged key into private.pem: refused
    // before anything is copied.
    f.at(400);
    assert_eq!(f.keys.rotate(STAGED).unwrap_err().to_string(), expected);
    assert_eq!(
        std::fs::read(f.path(PRIVATE_KEY_FILE)).unwrap(),
        private_before
    );
    let mode = std::fs::metadata(&next).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o640);
}
#[test]
fn now_brings_a_staged_rotation_forward() {
    let f = Fixture::new();
    let old = f.kid_file();
    let staged = f.keys.rotate(STAGED).unwrap();
    f.at(10);
    let now = f.keys.rotate(Activation::Now).unwrap();
    assert_eq!(now.kid, staged.kid);
    assert_eq!(now.not_before, START + 10);
    assert_eq!(f.kid_file(), staged.kid);
    assert!(!f.path(NEXT_KEY_FILE).exists());
    let set = f.keys.load().unwrap();
    assert_eq!(set.active().kid(), staged.kid);
    // Every replica signs with the new key within MAX_NOTICE of the command.
    assert_eq!(set.schedule().earlier, [(old, START + 20)]);
}

#[test]
fn retire_waits_until_no_token_signed_with_the_key_can_be_live() {
    let f = Fixture::new();
    let old = f.kid_file();
    let staged = f.keys.rotate(STAGED).unwrap();
    f.at(100);
    let error = f.keys.retire(&old, TTL).unwrap_err().to_string();
    assert!(
        error.contains(&format!(
            "`{old}` signs until 2026-01-01T00:05:40Z, when `{}` takes over",
            staged.kid
        )),
        "{error}"
    );
    let error = f.keys.retire(&staged.kid, RetireCheck::Now).unwrap_err();
    assert!(error.to_string().contains("is the staged key"), "{error}");

    f.at(400);
    let error = f.keys.retire(&old, TTL).unwrap_err().to_string();
    assert!(
        error.contains(&format!(
            "tokens signed with `{old}` until 2026-01-01T00:05:40Z stay valid for 900 s: retire it from 2026-01-01T00:22:10Z (in 930 s), or with --now"
        )),
        "{error}"
    );
    // A refused retirement changes nothing.
    assert_eq!(f.kid_file(), old);
    f.at(1329);
    assert!(f.keys.retire(&old, TTL).is_err());
    f.at(1330);
    let retired = f.keys.retire(&old, TTL).unwrap();
    assert_eq!(retired.signed_until, START + 340);
    let set = f.keys.load().unwrap();
    assert_eq!(set.published_kids(), std::slice::from_ref(&staged.kid));
    assert_eq!(f.kid_file(), staged.kid);
    assert!(!f.path(NEXT_KEY_FILE).exists());
    assert!(!f.path(PUBLISHED_DIR).join(format!("{old}.pem")).exists());
    assert!(f.manifest().earlier.is_empty());
}

#[test]
fn keys_published_by_earlier_versions_retire_by_their_file_time() {
    let f = Fixture::new();
    let published = f.path(PUBLISHED_DIR);
    std::fs::create_dir(&published).unwrap();
    for (kid, age) in [("old-2000", 2000), ("old-500", 500)] {
        let (key_pair, _) = generate().unwrap();
        let path = published.join(format!("{kid}.pem"));
        std::fs::write(&path, public_pem(&key_pair).unwrap()).unwrap();
        let modified = std::time::UNIX_EPOCH + Duration::from_secs((START - age) as u64);
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(modified)
            .unwrap();
    }
    // Rotated 2000 s ago, plus MAX_NOTICE: tokens (900 s) are long expired.
    f.keys.retire("old-2000", TTL).unwrap();
    let error = f.keys.retire("old-500", TTL).unwrap_err().to_string();
    assert!(error.contains("in 500 s"), "{error}");
    // The earlier layout stays as it was: no manifest appears.
    assert!(!f.path(MANIFEST_FILE).exists());
    assert_eq!(f.keys.load().unwrap().published().len(), 2);
}

#[test]
fn the_published_set_is_bounded_on_rotation() {
    let f = Fixture::new();
    let set = f.keys.load().unwrap();
    let active = set.manifest().active.clone();
    let public = std::fs::read(f.path(PUBLIC_KEY_FILE)).unwrap();
    std::fs::create_dir(f.path(PUBLISHED_DIR)).unwrap();
    let earlier = (0..MAX_PUBLISHED_KEYS - 1)
        .map(|i| {
            let kid = format!("k{i:02}");
            std::fs::write(f.path(PUBLISHED_DIR).join(format!("{kid}.pem")), &public).unwrap();
            EarlierEntry {
                kid,
                thumbprint: active.thumbprint.clone(),
                signed_until: START - 10_000,
            }
        })
        .collect();
    let manifest = Manifest {
        version: 1,
        active,
        next: None,
        earlier,
    };
    std::fs::write(f.path(MANIFEST_FILE), manifest.render()).unwrap();
    assert_eq!(f.keys.load().unwrap().published().len(), MAX_PUBLISHED_KEYS);
    let error = f.keys.rotate(STAGED).unwrap_err().to_string();
    assert!(
        error
            .contains("32 keys are published, the most allowed is 32: retire an earlier key first"),
        "{error}"
    );
    f.keys.retire("k00", TTL).unwrap();
    f.keys.rotate(STAGED).unwrap();
}

/// Copies of the directory after each change a command makes.
fn record(dir: &Path) -> Rc<RefCell<Vec<TempDir>>> {
    let copies = Rc::new(RefCell::new(Vec::new()));
    let sink = Rc::clone(&copies);
    let source = dir.to_owned();
    store::set_after_change_hook(Some(Box::new(move || {
        let copy = tempfile::tempdir().unwrap();
        copy_tree(&source, copy.path());
        sink.borrow_mut().push(copy);
    })));
    copies
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name.to_string_lossy().ends_with(".tmp") {
            continue;
        }
        let target = to.join(&name);
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir(&target).unwrap();
            copy_tree(&entry.path(), &target);
        } else {
            // Keeps the mode, so private keys stay 0600.
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Runs `command` and checks every intermediate directory: it loads to a set that signs, at
/// every instant, with a key the set before or after the command signs with, and publishes
/// every key published both before and after; or it is refused. Returns how many loaded.
fn every_state_is_safe_or_refused(f: &Fixture, command: impl FnOnce(&KeyDirectory)) -> usize {
    let before = f.keys.load().unwrap();
    let copies = record(f.dir.path());
    command(&f.keys);
    store::set_after_change_hook(None);
    let after = f.keys.load().unwrap();
    let copies = copies.take();
    assert!(copies.len() >= 2, "only {} changes seen", copies.len());
    let now = f.clock.unix_seconds();
    let instants = [now - 1, now, now + 339, now + 340, now + 100_000];
    let mut loaded = 0;
    for (step, copy) in copies.iter().enumerate() {
        let Ok(middle) = KeyDirectory::new(copy.path())
            .with_clock(f.clock.clone())
            .load()
        else {
            continue;
        };
        loaded += 1;
        let published = middle.published_kids();
        for instant in instants {
            let signing = middle.active_at(instant).kid();
            assert!(
                [
                    before.active_at(instant).kid(),
                    after.active_at(instant).kid()
                ]
                .contains(&signing),
                "step {step}: signs with {signing} at {instant}"
            );
            assert!(published.iter().any(|kid| kid == signing), "step {step}");
        }
        for kid in before.published_kids() {
            if after.published_kids().contains(&kid) {
                assert!(published.contains(&kid), "step {step} dropped {kid}");
            }
        }
    }
    loaded
}

#[test]
fn every_state_a_command_passes_through_is_safe_or_refused() {
    let f = Fixture::new();
    // Staging from the earlier layout: next.pem, then the first manifest.
    let loaded = every_state_is_safe_or_refused(&f, |keys| {
        keys.rotate(STAGED).unwrap();
    });
    assert_eq!(loaded, 2);
    // Settling after the activation, then staging again.
    f.at(400);
    let loaded = every_state_is_safe_or_refused(&f, |keys| {
        keys.rotate(STAGED).unwrap();
    });
    assert!(loaded >= 6, "{loaded}");
    // Bringing a staged rotation forward.
    f.at(500);
    every_state_is_safe_or_refused(&f, |keys| {
        keys.rotate(Activation::Now).unwrap();
    });
    // Retiring the key a staged one replaced, before it was settled.
    f.at(600);
    let staged = f.keys.rotate(STAGED).unwrap();
    let replaced = staged.previous.unwrap();
    f.at(1000);
    every_state_is_safe_or_refused(&f, |keys| {
        keys.retire(&replaced, RetireCheck::Now).unwrap();
    });
    assert!(!f.keys.load().unwrap().published_kids().contains(&replaced));
    // The directory also loads as a server would start on it.
    load_or_create(f.dir.path()).unwrap();
}

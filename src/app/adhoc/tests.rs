use std::time::{Duration, SystemTime};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::*;
use crate::app::listing::Location;
use crate::app::session::Thresholds;
use crate::app::{AppConfig, Msg};

fn choices() -> Vec<IdentityChoice> {
    vec![
        IdentityChoice { name: "bob".into(), kind: "profile", chain: "profile bob".into(), mfa: false },
        IdentityChoice {
            name: "auditor".into(),
            kind: "assume-role",
            chain: "assume-role auditor <- profile bob".into(),
            mfa: false,
        },
    ]
}

fn ctx(ids: &[IdentityChoice]) -> Context<'_> {
    Context { identities: ids, allow_short: false }
}

fn set(form: &mut AdHocForm, field: Field, value: &str) {
    form.text.insert(field, value.to_string());
}

#[test]
fn role_fields_are_checked_one_by_one_with_the_clis_rules() {
    let ids = choices();
    let mut form = AdHocForm::new(AdHocKind::AssumeRole, "auditor", "demo-data", "");
    assert_eq!(
        form.fields(),
        [
            Field::Name,
            Field::Source,
            Field::RoleArn,
            Field::SessionName,
            Field::ExternalId,
            Field::Duration,
            Field::Save
        ]
    );
    let err = |form: &AdHocForm, f| form.error(f, &ctx(&ids));
    assert!(err(&form, Field::RoleArn).is_some_and(|e| e.contains("arn:aws:iam::123456789012:role/Auditor")));
    set(&mut form, Field::RoleArn, "arn:aws:iam::123456789012:role/Admin");
    assert_eq!(err(&form, Field::RoleArn), None);
    set(&mut form, Field::SessionName, "a b");
    assert!(err(&form, Field::SessionName).is_some_and(|e| e.contains("' '")));
    set(&mut form, Field::SessionName, "s3lease-adhoc");
    assert_eq!(err(&form, Field::ExternalId), None, "the external ID is optional");
    set(&mut form, Field::ExternalId, "x");
    assert!(err(&form, Field::ExternalId).is_some_and(|e| e.contains("2 to 1224")));
    set(&mut form, Field::ExternalId, "");
    set(&mut form, Field::Duration, "2h");
    assert!(
        err(&form, Field::Duration).is_some_and(|e| e.contains("role chaining")),
        "auditor is a role, so the new role is chained: at most 1h"
    );
    set(&mut form, Field::Source, "bob");
    assert_eq!(err(&form, Field::Duration), None, "from long-term keys 2h is fine");
    set(&mut form, Field::Duration, "5m");
    assert!(err(&form, Field::Duration).is_some_and(|e| e.contains("below the AssumeRole minimum of 15m")));
    set(&mut form, Field::Name, "auditor");
    assert!(err(&form, Field::Name).is_some_and(|e| e.contains("already an identity")));
    set(&mut form, Field::Source, "nobody");
    assert!(err(&form, Field::Source).is_some_and(|e| e.contains("not an identity")));
}

#[test]
fn federation_uses_a_template_for_where_the_browser_is() {
    let ids = choices();
    let mut form = AdHocForm::new(AdHocKind::Federation, "bob", "demo-data", "reports/");
    assert_eq!(form.policy, PolicyChoice::Template(Template::ReadOnlyPrefix), "inside a prefix: that prefix");
    assert!(form.fields().contains(&Field::Prefix));
    assert!(form.errors(&ctx(&ids)).is_empty(), "{:?}", form.errors(&ctx(&ids)));
    let identity = form.build().unwrap();
    let Spec::Federation(spec) = &identity.spec else { panic!("{identity:?}") };
    let Some(PolicySource::Inline(policy)) = &spec.policy else { panic!("{spec:?}") };
    assert!(policy.contains("arn:aws:s3:::demo-data/reports/*"), "{policy}");
    assert_eq!(identity.origin, Origin::AdHoc);

    set(&mut form, Field::Source, "auditor");
    assert!(form.error(Field::Source, &ctx(&ids)).is_some_and(|e| e.contains("GetFederationToken needs a profile")));
    set(&mut form, Field::Source, "bob");
    form.policy = PolicyChoice::File;
    set(&mut form, Field::PolicyFile, "/nonexistent/policy.json");
    assert!(form.error(Field::PolicyFile, &ctx(&ids)).is_some_and(|e| e.contains("cannot read")));
    set(&mut form, Field::FederatedName, &"x".repeat(33));
    assert!(form.error(Field::FederatedName, &ctx(&ids)).is_some_and(|e| e.contains("2 to 32")));
}

fn app() -> App {
    let config = AppConfig {
        identity: "auditor".into(),
        kind: "assume-role",
        keymap: crate::keymap::Keymap::defaults(),
        thresholds: Thresholds { warn: Duration::from_secs(600), critical: Duration::from_secs(120) },
        start: Location::Prefix { bucket: "demo-data".into(), prefix: "".into() },
        mfa_code: None,
        identities: choices(),
        refresh_before: Duration::from_secs(300),
        auto_refresh: true,
        allow_short_durations: false,
        download_dir: std::path::PathBuf::from("/tmp/downloads"),
        read_only: false,
    };
    App::new(config, SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000)).0
}

fn press(app: &mut App, code: KeyCode) -> Vec<Effect> {
    app.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        press(app, KeyCode::Char(c));
    }
}

#[test]
fn from_the_picker_a_federated_identity_is_created_saved_and_switched_to() {
    let mut app = app();
    press(&mut app, KeyCode::Char('i'));
    // The two "new identity" rows follow the identities.
    for _ in 0..3 {
        press(&mut app, KeyCode::Down);
    }
    press(&mut app, KeyCode::Enter);
    let Mode::AdHoc(form) = &app.mode else { panic!("the form opens: {:?}", app.mode) };
    assert_eq!(form.kind, AdHocKind::Federation);
    assert_eq!(form.value(Field::Source), "bob", "a profile, since federation needs long-term keys");
    // Clear the name and type one.
    for _ in 0.."adhoc-federated".len() {
        press(&mut app, KeyCode::Backspace);
    }
    type_text(&mut app, "share-data");
    // To the save box, tick it, create.
    while !matches!(&app.mode, Mode::AdHoc(f) if f.focused() == Field::Save) {
        press(&mut app, KeyCode::Down);
    }
    press(&mut app, KeyCode::Char(' '));
    let effects = press(&mut app, KeyCode::Enter);
    let added = effects.iter().find_map(|e| match e {
        Effect::Send(Request::AddIdentity { identity, save, .. }) => Some((identity.name.clone(), *save)),
        _ => None,
    });
    assert_eq!(added, Some(("share-data".to_string(), true)));
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Send(Request::StartSession { identity, .. }) if identity == "share-data")),
        "and it is switched to: {effects:?}"
    );
    assert_eq!(app.session.identity, "share-data");
    assert!(app.identities.iter().any(|i| i.name == "share-data" && i.chain.ends_with("<- profile bob")));
}

#[test]
fn enter_with_problems_left_shows_them_and_creates_nothing() {
    let mut app = app();
    app.open_adhoc(AdHocKind::AssumeRole);
    let effects = press(&mut app, KeyCode::Enter);
    assert!(effects.is_empty());
    let Mode::AdHoc(form) = &app.mode else { panic!() };
    assert!(form.show_all_errors);
    assert_eq!(form.focused(), Field::RoleArn, "the cursor goes to the first problem");
    press(&mut app, KeyCode::Esc);
    assert!(matches!(app.mode, Mode::Picker(_)), "Esc goes back to the picker");
}

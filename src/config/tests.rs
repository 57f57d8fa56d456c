//! Settings: defaults valid, bad settings named in one line.
use super::*;

fn with(key: &str, value: &str) -> Result<Settings, ConfigError> {
    Settings::from_figment(&Figment::from(Toml::string(DEFAULTS)).merge((key, value)))
}

#[test]
fn defaults_are_valid() {
    let settings = with("redis_prefix", "pufa").expect("defaults validate");
    assert_eq!(settings.live_scores, LiveScoresMode::Auto);
    assert_eq!(settings.token_ttl, chrono::Duration::days(30));
}

#[test]
fn a_bad_setting_is_named_in_one_line() {
    let err = with("live_scores", "sometimes").expect_err("unknown mode");
    assert_eq!(err.key, "live_scores");
    let err = with("database_url", "mysql://x").expect_err("unsupported database");
    assert_eq!(err.to_string().lines().count(), 1);
    assert!(err.to_string().contains("database_url"));
}

#[test]
fn several_redis_urls_mean_a_cluster() {
    let settings = with("redis_url", " redis://127.0.0.1:7000, redis://127.0.0.1:7001,redis://127.0.0.1:7002 ")
        .expect("a cluster list");
    assert_eq!(
        settings.redis_url.as_deref(),
        Some("redis://127.0.0.1:7000,redis://127.0.0.1:7001,redis://127.0.0.1:7002")
    );
    assert_eq!(with("redis_url", "redis://h:1").expect("one node").redis_url.as_deref(), Some("redis://h:1"));
    for bad in [
        "redis://h:1,,redis://h:2",
        "redis://h:1,",
        "redis://h:1,h:2",
        "redis://h:1,redis+unix:///tmp/r.sock",
        "redis://h:1,redis://h:1",
        "h:1",
    ] {
        let err = with("redis_url", bad).expect_err(bad);
        assert_eq!(err.key, "redis_url", "{bad}");
        assert_eq!(err.to_string().lines().count(), 1);
    }
}

#[test]
fn redis_mode_needs_a_redis_url() {
    let figment = Figment::from(Toml::string(DEFAULTS)).merge(("live_scores", "redis")).merge(("redis_url", ""));
    let err = Settings::from_figment(&figment).expect_err("redis without url");
    assert_eq!(err.key, "redis_url");
}

use std::path::Path;

use super::*;
use crate::web::tls::{ClientAuth, CurveName, TlsCipherSuite, TlsVersion};

fn parse(text: &str) -> Result<WebConfig, WebConfigError> {
    WebConfig::parse(text, Path::new("/etc/tsdbd/web.yml"))
}

fn error(text: &str) -> String {
    match parse(text) {
        Ok(config) => panic!("accepted: {config:?}"),
        Err(e) => e.to_string(),
    }
}

/// A bcrypt hash made here, at the lowest cost.
fn hash(password: &str) -> String {
    bcrypt::hash(password, 4).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn a_full_configuration_loads_with_paths_resolved_against_its_directory() {
    let alice = hash("wonderland");
    let text = format!(
        "tls_server_config:
  cert_file: tls/server.crt
  key_file: /abs/server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ca.pem
  min_version: TLS13
  max_version: TLS13
  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305]
  prefer_server_cipher_suites: false
  curve_preferences: [X25519, CurveP256]
http_server_config:
  http2: false
  headers:
    X-Frame-Options: deny
    Strict-Transport-Security: max-age=31536000
    Content-Security-Policy: ''
basic_auth_users:
  alice: {alice}
"
    );
    let config = parse(&text).unwrap_or_else(|e| panic!("{e}"));
    let tls = config.tls.clone().unwrap_or_else(|| panic!("no TLS"));
    assert_eq!(tls.cert_file, Path::new("/etc/tsdbd/tls/server.crt"));
    assert_eq!(tls.key_file, Path::new("/abs/server.key"));
    assert_eq!(
        tls.client_ca_file.as_deref(),
        Some(Path::new("/etc/tsdbd/ca.pem"))
    );
    assert_eq!(tls.client_auth, ClientAuth::RequireAndVerifyClientCert);
    assert_eq!(
        (tls.min_version, tls.max_version),
        (TlsVersion::Tls13, TlsVersion::Tls13)
    );
    assert_eq!(
        tls.cipher_suites,
        [
            TlsCipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            TlsCipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
        ]
    );
    assert!(!tls.prefer_server_cipher_suites);
    assert_eq!(tls.curve_preferences, [CurveName::X25519, CurveName::P256]);
    assert!(!config.http.http2);
    let headers: Vec<(String, String)> = config
        .http
        .headers
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or_default().to_owned()))
        .collect();
    assert_eq!(
        headers,
        [
            ("x-frame-options".to_owned(), "deny".to_owned()),
            (
                "strict-transport-security".to_owned(),
                "max-age=31536000".to_owned()
            ),
        ]
    );
    assert_eq!(config.basic_auth_users.get("alice"), Some(&alice));
    // The hash stays out of debug output.
    assert!(!format!("{config:?}").contains(&alice));
}

#[test]
fn defaults_follow_the_toolkit() {
    assert_eq!(
        parse("").unwrap_or_else(|e| panic!("{e}")),
        WebConfig::default()
    );
    let config = parse("tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let tls = config.tls.unwrap_or_else(|| panic!("no TLS"));
    assert_eq!(tls.client_auth, ClientAuth::NoClientCert);
    assert_eq!(
        (tls.min_version, tls.max_version),
        (TlsVersion::Tls12, TlsVersion::Tls13)
    );
    assert!(tls.prefer_server_cipher_suites && tls.cipher_suites.is_empty());
    assert!(config.http.http2 && config.http.headers.is_empty());
    // An empty TLS section is plain HTTP, as in the toolkit.
    let plain = parse("tls_server_config:\n  cert_file: ''\n").unwrap_or_else(|e| panic!("{e}"));
    assert!(plain.tls.is_none());
    assert!(
        plain
            .tls_server_config()
            .unwrap_or_else(|e| panic!("{e}"))
            .is_none()
    );
}

#[test]
fn unknown_fields_are_named_with_file_and_line() {
    let e = error("basic_auth_users: {}\nhttp_server_config:\n  http3: true\n");
    assert!(
        e.starts_with("/etc/tsdbd/web.yml:3:3: http_server_config: unknown field `http3`"),
        "{e}"
    );
    let e = error("tls_config:\n  cert_file: a\n");
    assert!(
        e.starts_with("/etc/tsdbd/web.yml:1:1: unknown field `tls_config`"),
        "{e}"
    );
    let e = error("tls_server_config:\n  cert: |\n    PEM\n");
    assert!(e.contains("tls_server_config: unknown field `cert`"), "{e}");
}

#[test]
fn bad_bcrypt_hashes_are_refused_without_echoing_them() {
    for bad in [
        "plaintext",
        "$2y$10$tooshort",
        "$3a$10$abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0",
    ] {
        let e = error(&format!("basic_auth_users:\n  bob: '{bad}'\n"));
        assert!(e.starts_with("/etc/tsdbd/web.yml:2:"), "{e}");
        assert!(e.contains("invalid bcrypt hash"), "{e}");
        assert!(!e.contains(bad), "{e}");
    }
    let cost_3 = hash("x").replacen("$04$", "$03$", 1);
    assert!(error(&format!("basic_auth_users:\n  bob: '{cost_3}'\n")).contains("cost 3"));
}

#[test]
fn what_rustls_cannot_do_is_refused_by_name() {
    let tls = |extra: &str| format!("tls_server_config:\n  cert_file: a\n  key_file: b\n{extra}");
    let cases = [
        (
            "  min_version: TLS10\n",
            "min_version: TLS10 is not supported",
        ),
        (
            "  max_version: TLS14\n",
            "max_version: unknown TLS version: TLS14",
        ),
        (
            "  cipher_suites: [TLS_AES_128_GCM_SHA256, TLS_RSA_WITH_AES_128_CBC_SHA]\n",
            "cipher_suites[1]: cipher suite TLS_RSA_WITH_AES_128_CBC_SHA is not supported",
        ),
        (
            "  cipher_suites: [TLS_FANCY]\n",
            "cipher_suites[0]: unknown cipher suite: TLS_FANCY",
        ),
        (
            "  curve_preferences: [CurveP521]\n",
            "curve_preferences[0]: curve CurveP521 is not",
        ),
        (
            "  client_auth_type: RequireAnyClientCert\n",
            "client_auth_type: RequireAnyClientCert (accepting",
        ),
        (
            "  client_auth_type: Sometimes\n",
            "client_auth_type: Invalid ClientAuth: Sometimes",
        ),
    ];
    for (extra, message) in cases {
        let e = error(&tls(extra));
        // serde_yaml_ng places errors raised while reading a value at its mapping's start.
        assert!(
            e.starts_with("/etc/tsdbd/web.yml:2:3: tls_server_config: "),
            "{e}"
        );
        assert!(e.contains(message), "{extra}: {e}");
    }
}

#[test]
fn conflicting_tls_settings_name_the_field() {
    let cases = [
        (
            "  cert_file: a\n",
            "tls_server_config.key_file: missing key_file",
        ),
        (
            "  key_file: a\n",
            "tls_server_config.cert_file: missing cert_file",
        ),
        (
            "  min_version: TLS13\n",
            "tls_server_config: TLS settings are given without",
        ),
        (
            "  cert_file: a\n  key_file: b\n  client_ca_file: ca\n",
            "Client CA's have been configured without a Client Auth Policy",
        ),
        (
            "  cert_file: a\n  key_file: b\n  client_auth_type: VerifyClientCertIfGiven\n",
            "client_auth_type VerifyClientCertIfGiven needs client_ca_file",
        ),
        (
            "  cert_file: a\n  key_file: b\n  min_version: TLS13\n  max_version: TLS12\n",
            "min_version Tls13 is above max_version Tls12",
        ),
    ];
    for (section, message) in cases {
        let e = error(&format!("tls_server_config:\n{section}"));
        assert!(
            e.starts_with("/etc/tsdbd/web.yml: tls_server_config"),
            "{e}"
        );
        assert!(e.contains(message), "{section}: {e}");
    }
}

#[test]
fn headers_are_checked_as_the_toolkit_checks_them() {
    let e = error("http_server_config:\n  headers:\n    Server: tsdbd\n");
    assert!(e.starts_with("/etc/tsdbd/web.yml:3:"), "{e}");
    assert!(
        e.contains("HTTP header \"Server\" can not be configured"),
        "{e}"
    );
    let e = error("http_server_config:\n  headers:\n    X-Content-Type-Options: sniff\n");
    assert!(
        e.contains("invalid value for X-Content-Type-Options"),
        "{e}"
    );
}

#[test]
fn a_missing_key_file_is_named_when_tls_is_built() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()])
        .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.path().join("server.crt"), cert.cert.pem())
        .unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("web.yml");
    std::fs::write(
        &path,
        "tls_server_config:\n  cert_file: server.crt\n  key_file: missing.key\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let config = WebConfig::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let e = match config.tls_server_config() {
        Ok(_) => panic!("built TLS without a key"),
        Err(e) => e,
    };
    assert!(matches!(e, WebConfigError::Read { .. }), "{e:?}");
    assert!(e.to_string().starts_with(&format!(
        "reading {}",
        dir.path().join("missing.key").display()
    )));

    // A key file holding no key is named too.
    std::fs::write(dir.path().join("missing.key"), cert.cert.pem())
        .unwrap_or_else(|e| panic!("{e}"));
    let e = config
        .tls_server_config()
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        e.contains("missing.key: no PEM private key block found"),
        "{e}"
    );
}

#[test]
fn a_missing_config_file_is_named() {
    let e = WebConfig::load("/nonexistent/web.yml")
        .map(|_| ())
        .unwrap_err();
    assert!(
        e.to_string().starts_with("reading /nonexistent/web.yml"),
        "{e}"
    );
}

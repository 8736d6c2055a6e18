use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use axum::extract::ConnectInfo;
use axum::routing::get;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, ExtendedKeyUsagePurpose, IsCa, KeyPair,
};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::*;
use crate::web::{CurveName, TlsCipherSuite, TlsVersion, WebConfig};

/// A router with a fast route, a slow one and one that echoes the peer address.
fn app() -> Router {
    Router::new()
        .route("/fast", get(|| async { "fast" }))
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_millis(400)).await;
                "slow"
            }),
        )
        .route(
            "/forever",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                "never"
            }),
        )
        .route(
            "/peer",
            get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.ip().to_string() }),
        )
}

/// A server on an ephemeral port; send on the sender to shut it down.
struct Running {
    address: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<io::Result<()>>,
}

async fn start(tls: Option<Arc<rustls::ServerConfig>>, grace: Duration) -> Running {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("bind: {e}"));
    let address = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    let (stop, stopped) = oneshot::channel::<()>();
    let shutdown = async {
        let _ = stopped.await;
    };
    let task = tokio::spawn(serve_with_grace(listener, app(), tls, shutdown, grace));
    Running {
        address,
        stop,
        task,
    }
}

impl Running {
    async fn stop(self) -> Duration {
        let started = Instant::now();
        let _ = self.stop.send(());
        let outcome = self
            .task
            .await
            .unwrap_or_else(|e| panic!("server task: {e}"));
        outcome.unwrap_or_else(|e| panic!("server: {e}"));
        started.elapsed()
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
}

async fn get_text(client: &reqwest::Client, url: &str) -> reqwest::Result<(u16, String)> {
    let response = client.get(url).send().await?;
    let status = response.status().as_u16();
    Ok((status, response.text().await?))
}

#[tokio::test]
async fn plain_http_serves_and_hands_handlers_the_peer_address() {
    let server = start(None, Duration::from_secs(5)).await;
    let base = format!("http://{}", server.address);
    let client = client();
    let fast = get_text(&client, &format!("{base}/fast")).await;
    assert_eq!(fast.ok(), Some((200, "fast".to_owned())));
    let peer = get_text(&client, &format!("{base}/peer")).await;
    assert_eq!(peer.ok(), Some((200, "127.0.0.1".to_owned())));
    assert!(server.stop().await < Duration::from_secs(2));
}

#[tokio::test]
async fn shutdown_lets_in_flight_requests_finish_and_stops_accepting() {
    let server = start(None, Duration::from_secs(5)).await;
    let url = format!("http://{}/slow", server.address);
    let client = client();
    let in_flight = tokio::spawn({
        let client = client.clone();
        async move { get_text(&client, &url).await }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let address = server.address;
    let took = server.stop().await;
    let answer = in_flight.await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(answer.ok(), Some((200, "slow".to_owned())));
    assert!(took < Duration::from_secs(2), "{took:?}");
    let fresh = reqwest::Client::new();
    assert!(
        get_text(&fresh, &format!("http://{address}/fast"))
            .await
            .is_err()
    );
}

#[tokio::test]
async fn shutdown_waits_no_longer_than_the_grace_period() {
    let server = start(None, Duration::from_millis(200)).await;
    let url = format!("http://{}/forever", server.address);
    let client = client();
    let stuck = tokio::spawn(async move { get_text(&client, &url).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let took = server.stop().await;
    assert!(
        took >= Duration::from_millis(200) && took < Duration::from_secs(2),
        "{took:?}"
    );
    let answer = stuck.await.unwrap_or_else(|e| panic!("{e}"));
    assert!(answer.is_err(), "{answer:?}");
}

/// A CA, a server certificate for `localhost` and a client certificate, all in `dir`, plus a
/// web configuration naming them with `client_auth_type` as given.
fn write_pki(dir: &Path, client_auth: &str) -> (WebConfig, String, String) {
    let fail = |e: rcgen::Error| -> ! { panic!("rcgen: {e}") };
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap_or_else(|e| fail(e));
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_key = KeyPair::generate().unwrap_or_else(|e| fail(e));
    let ca = CertifiedIssuer::self_signed(ca_params, ca_key).unwrap_or_else(|e| fail(e));

    let server_key = KeyPair::generate().unwrap_or_else(|e| fail(e));
    let server_cert = CertificateParams::new(vec!["localhost".to_owned()])
        .and_then(|p| p.signed_by(&server_key, &ca))
        .unwrap_or_else(|e| fail(e));

    let client_key = KeyPair::generate().unwrap_or_else(|e| fail(e));
    let mut client_params =
        CertificateParams::new(vec!["client".to_owned()]).unwrap_or_else(|e| fail(e));
    client_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let client_cert = client_params
        .signed_by(&client_key, &ca)
        .unwrap_or_else(|e| fail(e));

    let write = |name: &str, text: &str| {
        std::fs::write(dir.join(name), text).unwrap_or_else(|e| panic!("{name}: {e}"));
    };
    write("ca.pem", &ca.pem());
    write("server.crt", &server_cert.pem());
    write("server.key", &server_key.serialize_pem());
    let mut text =
        "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n".to_owned();
    if !client_auth.is_empty() {
        text.push_str(&format!(
            "  client_auth_type: {client_auth}\n  client_ca_file: ca.pem\n"
        ));
    }
    write("web.yml", &text);
    let config = WebConfig::load(dir.join("web.yml")).unwrap_or_else(|e| panic!("{e}"));
    let identity = format!("{}{}", client_cert.pem(), client_key.serialize_pem());
    (config, ca.pem(), identity)
}

fn tls_client(ca_pem: &str, identity: Option<&str>) -> reqwest::Client {
    let ca = reqwest::Certificate::from_pem(ca_pem.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    let mut builder = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(ca)
        .timeout(Duration::from_secs(10));
    if let Some(pem) = identity {
        let identity =
            reqwest::Identity::from_pem(pem.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        builder = builder.identity(identity);
    }
    builder.build().unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn tls_round_trip_with_a_generated_certificate() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (config, ca, _) = write_pki(dir.path(), "");
    let tls = config.tls_server_config().unwrap_or_else(|e| panic!("{e}"));
    let server = start(tls, Duration::from_secs(5)).await;
    let port = server.address.port();
    let client = tls_client(&ca, None);
    let answer = get_text(&client, &format!("https://localhost:{port}/fast")).await;
    assert_eq!(answer.ok(), Some((200, "fast".to_owned())));

    // Plain HTTP on the TLS port fails that connection only.
    let plain = get_text(
        &reqwest::Client::new(),
        &format!("http://127.0.0.1:{port}/fast"),
    )
    .await;
    assert!(!matches!(plain, Ok((200, _))), "{plain:?}");
    // A client that does not trust the CA is refused; the server carries on.
    let untrusting = tls_client(&rcgen_ca_pem(), None);
    assert!(
        get_text(&untrusting, &format!("https://localhost:{port}/fast"))
            .await
            .is_err()
    );
    let again = get_text(&client, &format!("https://localhost:{port}/peer")).await;
    assert_eq!(again.ok(), Some((200, "127.0.0.1".to_owned())));
    server.stop().await;
}

/// Some other CA's certificate.
fn rcgen_ca_pem() -> String {
    rcgen::generate_simple_self_signed(vec!["elsewhere".to_owned()])
        .map(|c| c.cert.pem())
        .unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn client_certificates_are_required_and_verified_when_configured() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (config, ca, identity) = write_pki(dir.path(), "RequireAndVerifyClientCert");
    let tls = config.tls_server_config().unwrap_or_else(|e| panic!("{e}"));
    let server = start(tls, Duration::from_secs(5)).await;
    let url = format!("https://localhost:{}/fast", server.address.port());
    let anonymous = get_text(&tls_client(&ca, None), &url).await;
    assert!(anonymous.is_err(), "{anonymous:?}");
    let known = get_text(&tls_client(&ca, Some(&identity)), &url).await;
    assert_eq!(known.ok(), Some((200, "fast".to_owned())));
    server.stop().await;
}

#[tokio::test]
async fn tls_versions_and_suites_from_the_config_take_effect() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (config, ca, _) = write_pki(dir.path(), "");
    let mut tls = config.tls.clone().unwrap_or_else(|| panic!("no TLS"));
    tls.min_version = TlsVersion::Tls12;
    tls.max_version = TlsVersion::Tls12;
    tls.cipher_suites = vec![TlsCipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384];
    tls.curve_preferences = vec![CurveName::P384];
    let server_config = tls.server_config().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(server_config.crypto_provider().cipher_suites.len(), 4);
    let server = start(Some(server_config), Duration::from_secs(5)).await;
    let client = tls_client(&ca, None);
    let url = format!("https://localhost:{}/fast", server.address.port());
    assert_eq!(
        get_text(&client, &url).await.ok(),
        Some((200, "fast".to_owned()))
    );
    server.stop().await;
}

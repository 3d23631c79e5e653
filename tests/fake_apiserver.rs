//! The fake API server, driven by the real kube client.

mod support;

#[tokio::test]
async fn placeholder() {
    let server = support::fake_apiserver::FakeApiServer::start().await;
    let _ = server.client().await;
}

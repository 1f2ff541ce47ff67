//! Kafka client configuration shared by the authorizer's consumer and the CLI: brokers
//! (given, or discovered from an MSK cluster ARN), authentication (plaintext, SASL/PLAIN,
//! MSK IAM through SASL/OAUTHBEARER) and the token callback for MSK IAM.

use super::Error;
use std::sync::mpsc;
use std::time::Duration;

use aws_config::Region;
use aws_credential_types::provider::SharedCredentialsProvider;
use rdkafka::client::{ClientContext, OAuthToken};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::ConsumerContext;
use rdkafka::producer::{DeliveryResult, ProducerContext};

use crate::config::{KafkaAuth, StreamConfig};

/// Our client context: a no-op except for MSK IAM, where it signs OAUTHBEARER tokens.
#[derive(Clone)]
pub struct GatewayContext {
    msk: Option<MskIamSigner>,
}

impl GatewayContext {
    pub fn plain() -> Self {
        GatewayContext { msk: None }
    }
}

impl ClientContext for GatewayContext {
    const ENABLE_REFRESH_OAUTH_TOKEN: bool = true;

    fn generate_oauth_token(
        &self,
        _config: Option<&str>,
    ) -> Result<OAuthToken, Box<dyn std::error::Error>> {
        match &self.msk {
            Some(signer) => signer.token(),
            None => Err("OAUTHBEARER is only used with AUTHZ_KAFKA_AUTH=msk-iam".into()),
        }
    }
}

impl ConsumerContext for GatewayContext {}

impl ProducerContext for GatewayContext {
    type DeliveryOpaque = ();
    // Delivery failures surface through `flush`, which the publisher checks.
    fn delivery(&self, _result: &DeliveryResult<'_>, _opaque: ()) {}
}

/// Signs MSK IAM auth tokens. rdkafka's callback is synchronous and the signer is async, so
/// it runs on a thread of its own with a current-thread runtime (a `block_on` on a tokio
/// worker would panic). The credentials provider is created once and shared, so the AWS
/// config is not reloaded on each refresh.
#[derive(Clone)]
pub struct MskIamSigner {
    region: Region,
    credentials: SharedCredentialsProvider,
}

impl MskIamSigner {
    pub fn new(region: &str, credentials: SharedCredentialsProvider) -> Self {
        MskIamSigner {
            region: Region::new(region.to_string()),
            credentials,
        }
    }

    /// A fresh token; rdkafka refreshes it before `lifetime_ms` (the signer's expiry).
    pub fn token(&self) -> Result<OAuthToken, Box<dyn std::error::Error>> {
        let (tx, rx) = mpsc::channel();
        let region = self.region.clone();
        let credentials = self.credentials.clone();
        std::thread::spawn(move || {
            let result = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())
                .and_then(|rt| {
                    rt.block_on(
                        aws_msk_iam_sasl_signer::generate_auth_token_from_credentials_provider(
                            region,
                            credentials,
                        ),
                    )
                    .map_err(|e| e.to_string())
                });
            let _ = tx.send(result);
        });
        let (token, expiry_ms) = rx
            .recv_timeout(Duration::from_secs(10))
            .map_err(|_| "MSK IAM token signing timed out after 10 s")??;
        Ok(OAuthToken {
            token,
            principal_name: "gateway-authorizer".into(),
            lifetime_ms: expiry_ms,
        })
    }
}

/// The region of an ARN (`arn:aws:kafka:REGION:ACCOUNT:cluster/...`).
pub fn arn_region(arn: &str) -> Option<&str> {
    arn.split(':').nth(3).filter(|r| !r.is_empty())
}

/// Loads the AWS config for `region` (the Lambda's role credentials).
async fn aws_config_for(region: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(Region::new(region.to_string()))
        .load()
        .await
}

/// Brokers from configuration, or discovered with `GetBootstrapBrokers` on the cluster ARN.
pub fn resolve_brokers(cfg: &StreamConfig) -> Result<String, Error> {
    if let Some(b) = &cfg.brokers {
        return Ok(b.clone());
    }
    let arn = cfg.msk_cluster_arn.clone().ok_or(Error::NoBrokers)?;
    let region = arn_region(&arn)
        .ok_or_else(|| Error::NotAnMskArn(arn.clone()))?
        .to_string();
    let auth = cfg.auth;
    run_async(async move {
        let client = aws_sdk_kafka::Client::new(&aws_config_for(&region).await);
        let out = client
            .get_bootstrap_brokers()
            .cluster_arn(&arn)
            .send()
            .await
            .map_err(|e| Error::BrokerDiscovery {
                arn: arn.clone(),
                detail: e.to_string(),
            })?;
        let brokers = match auth {
            KafkaAuth::MskIam => out
                .bootstrap_broker_string_sasl_iam()
                .or(out.bootstrap_broker_string_vpc_connectivity_sasl_iam()),
            KafkaAuth::SaslPlain => out.bootstrap_broker_string_sasl_scram(),
            KafkaAuth::Plaintext => out.bootstrap_broker_string(),
        };
        brokers
            .map(str::to_string)
            .ok_or_else(|| Error::NoBrokersForAuth { arn, auth })
    })
}

/// Runs a future to completion on a thread of its own (safe from inside or outside tokio).
fn run_async<T: Send + 'static>(
    fut: impl std::future::Future<Output = Result<T, Error>> + Send + 'static,
) -> Result<T, Error> {
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(Error::Runtime)?
            .block_on(fut)
    })
    .join()
    .map_err(|_| Error::DiscoveryPanicked)?
}

/// The base client configuration and context for `cfg`.
pub fn client_config(
    cfg: &StreamConfig,
    brokers: &str,
) -> Result<(ClientConfig, GatewayContext), Error> {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", brokers)
        .set("client.id", "gateway-authorizer")
        // Reconnects back off with jitter (librdkafka adds ±20%); a fleet thawing at once
        // does not hammer the brokers.
        .set("reconnect.backoff.ms", "100")
        .set("reconnect.backoff.max.ms", "5000")
        .set("socket.connection.setup.timeout.ms", "10000")
        // Drop idle connections to brokers that lead none of our partitions.
        .set("connections.max.idle.ms", "60000")
        .set("topic.metadata.refresh.interval.ms", "300000");
    let context = match cfg.auth {
        KafkaAuth::Plaintext => GatewayContext::plain(),
        KafkaAuth::SaslPlain => {
            let (Some(user), Some(password)) = (&cfg.username, &cfg.password) else {
                return Err(Error::SaslCredentialsMissing);
            };
            c.set("security.protocol", "SASL_SSL")
                .set("sasl.mechanism", "PLAIN")
                .set("sasl.username", user)
                .set("sasl.password", password);
            GatewayContext::plain()
        }
        KafkaAuth::MskIam => {
            let region = cfg
                .msk_cluster_arn
                .as_deref()
                .and_then(arn_region)
                .map(str::to_string)
                .or_else(|| std::env::var("AWS_REGION").ok())
                .ok_or(Error::NoRegion)?;
            let config = run_async({
                let region = region.clone();
                async move { Ok(aws_config_for(&region).await) }
            })?;
            let credentials = config.credentials_provider().ok_or(Error::NoCredentials)?;
            c.set("security.protocol", "SASL_SSL")
                .set("sasl.mechanism", "OAUTHBEARER");
            GatewayContext {
                msk: Some(MskIamSigner::new(&region, credentials)),
            }
        }
    };
    Ok((c, context))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_credential_types::Credentials;

    #[test]
    fn region_from_arn() {
        assert_eq!(
            arn_region("arn:aws:kafka:eu-west-1:123:cluster/c/uuid"),
            Some("eu-west-1")
        );
        assert_eq!(arn_region("nope"), None);
    }

    #[test]
    fn msk_iam_token_from_static_credentials() {
        let creds = Credentials::new("AKIDEXAMPLE", "secret", None, None, "test");
        let signer = MskIamSigner::new("eu-west-1", SharedCredentialsProvider::new(creds));
        let context = GatewayContext { msk: Some(signer) };
        let token = context.generate_oauth_token(None).expect("token");
        // The token is a base64url presigned kafka-cluster:Connect URL for the region.
        use base64::Engine;
        let url = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token.token.trim_end_matches('='))
            .expect("base64url");
        let url = String::from_utf8(url).expect("utf8");
        assert!(
            url.starts_with("https://kafka.eu-west-1.amazonaws.com/"),
            "{url}"
        );
        assert!(url.contains("Action=kafka-cluster%3AConnect"), "{url}");
        assert!(url.contains("X-Amz-Credential=AKIDEXAMPLE"), "{url}");
        assert!(token.lifetime_ms > 0);
        // Without MSK IAM there is no token to give.
        assert!(GatewayContext::plain().generate_oauth_token(None).is_err());
    }
}

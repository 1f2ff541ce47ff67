//! The Lambda function: init once (configuration, baked policy, policy stream, status
//! reporter), then one decision per invocation.

use authorizer::apigw::Response;
use authorizer::config;
use authorizer::observe::log;
use authorizer::runtime::{load_baked, Authorizer};
use authorizer::status::reporter::StatusSettings;
use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::json;
use serde_json::value::RawValue;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let (config, problems) = config::from_env();
    for problem in problems {
        log(
            config.log_level,
            config::LogLevel::Error,
            json!({"msg": "configuration problem", "problem": problem.to_string()}),
        );
    }
    let (status, status_problems) = StatusSettings::from_env(&config);
    for problem in status_problems {
        log(
            config.log_level,
            config::LogLevel::Error,
            json!({"msg": "configuration problem", "problem": problem}),
        );
    }
    let baked = load_baked(&config);
    let (authorizer, _stream) =
        authorizer::stream::start_reporting(Authorizer::new(config, baked), status);
    let authorizer = &authorizer;
    // The payload is handed over as JSON text: the authorizer reads only the members it
    // needs from it, without building a `Value` of the whole event.
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<Box<RawValue>>| async move {
            Ok::<Response, Error>(
                authorizer.handle_json(event.payload.get(), &event.context.request_id),
            )
        },
    ))
    .await
}

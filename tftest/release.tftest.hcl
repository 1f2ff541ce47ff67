# modules/authorizer's code source: the release a module version pins (release.json: bucket
# pattern, versioned key, hash), a team's own zip or S3 object, or a checkout's dist/ zip.

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/orders-authorizer" }
  }
  mock_resource "aws_lambda_layer_version" {
    defaults = { arn = "arn:aws:lambda:eu-west-1:123456789012:layer:orders-gateway-policy:1" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/orders-authorizer" }
  }
}

variables {
  name                  = "orders"
  api_id                = "orders"
  baked_policy_json     = <<-EOT
    {"schema": "gateway-policy/v1", "revision": 7, "issuers": [], "clients": [],
     "apis": [{"id": "orders", "routes": [{"route": "GET /orders/{id}", "scopes": ["orders:read"]}]}],
     "publishers": []}
  EOT
  policy_layer          = { zip_path = "tftest/fixtures/policy-layer.zip" }
  release_manifest_json = <<-EOT
    {"version": "1.4.0", "bucket": "acme-gateway-artifacts-{region}",
     "s3_key_prefix": "team-gateway/authorizer/1.4.0/",
     "source_code_hash": {"arm64": "QVJNNjQtaGFzaC1vZi10aGUtcmVsZWFzZWQtemlwLg==", "x86_64": "eDg2LWhhc2gtb2YtdGhlLXJlbGVhc2VkLXppcC4uLg=="}}
  EOT
}

run "required_inputs_only_deploy_the_pinned_release" {
  command = apply

  module {
    source = "./modules/authorizer"
  }

  assert {
    condition = (aws_lambda_function.this.s3_bucket == "acme-gateway-artifacts-eu-west-1"
      && aws_lambda_function.this.s3_key == "team-gateway/authorizer/1.4.0/bootstrap-arm64.zip"
      && aws_lambda_function.this.source_code_hash == "QVJNNjQtaGFzaC1vZi10aGUtcmVsZWFzZWQtemlwLg=="
    && aws_lambda_function.this.filename == null)
    error_message = "With no artifact input the function runs the release pinned by the manifest, from the bucket of its region."
  }

  assert {
    condition     = output.artifact.source == "release" && output.artifact.version == "1.4.0"
    error_message = "The artifact output names the release."
  }
}

run "release_bucket_input_overrides_the_manifest_bucket" {
  command = apply

  module {
    source = "./modules/authorizer"
  }

  variables {
    architecture = "x86_64"
    artifact     = { release_bucket = "orders-mirror-{region}" }
  }

  assert {
    condition     = aws_lambda_function.this.s3_bucket == "orders-mirror-eu-west-1" && aws_lambda_function.this.s3_key == "team-gateway/authorizer/1.4.0/bootstrap-x86_64.zip" && aws_lambda_function.this.source_code_hash == "eDg2LWhhc2gtb2YtdGhlLXJlbGVhc2VkLXppcC4uLg=="
    error_message = "The release of the chosen architecture, from the bucket the team names."
  }
}

run "own_zip_wins_over_the_release" {
  command = apply

  module {
    source = "./modules/authorizer"
  }

  variables {
    artifact = { zip_path = "tftest/fixtures/bootstrap.zip" }
  }

  assert {
    condition     = aws_lambda_function.this.filename == "tftest/fixtures/bootstrap.zip" && aws_lambda_function.this.s3_bucket == null && aws_lambda_function.this.source_code_hash == filebase64sha256("tftest/fixtures/bootstrap.zip")
    error_message = "A team's own zip replaces the release."
  }
}

run "bad_release_bucket_is_refused" {
  command = plan

  module {
    source = "./modules/authorizer"
  }

  variables {
    artifact = { release_bucket = "Acme_Artifacts" }
  }

  expect_failures = [var.artifact]
}

# No release pinned and no zip: a clear message instead of a file error. x86_64, whose
# dist/ zip only `scripts/build-lambda.sh x86_64` would leave in a checkout.
run "no_release_and_no_zip_is_refused_with_the_fix" {
  command = plan

  module {
    source = "./modules/authorizer"
  }

  variables {
    architecture          = "x86_64"
    release_manifest_json = <<-EOT
      {"version": "0.1.0", "bucket": null, "s3_key_prefix": "team-gateway/authorizer/0.1.0/",
       "source_code_hash": {"arm64": null, "x86_64": null}}
    EOT
  }

  expect_failures = [aws_lambda_function.this]
}

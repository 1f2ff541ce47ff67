package terraform

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	apigwtypes "github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/gruntwork-io/terratest/modules/files"
	"github.com/gruntwork-io/terratest/modules/terraform"
)

// repoRoot is the module's root: two levels above this file.
func repoRoot(t *testing.T) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("no caller information")
	}
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// tfBinary is the binary the examples are applied with: TF_BINARY, else terraform, else tofu.
func tfBinary(t *testing.T) string {
	t.Helper()
	if b := os.Getenv("TF_BINARY"); b != "" {
		return b
	}
	for _, b := range []string{"terraform", "tofu"} {
		if _, err := exec.LookPath(b); err == nil {
			return b
		}
	}
	t.Skip("neither terraform nor tofu on PATH")
	return ""
}

// example copies the repository to a temporary folder (so the example's relative module
// source still resolves), adds the moto provider override and returns terraform options.
func example(t *testing.T, name string, vars map[string]interface{}) *terraform.Options {
	t.Helper()
	root := repoRoot(t)
	copyRoot, err := files.CopyTerraformFolderToTemp(root, "gateway-"+name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(copyRoot) })
	dir := filepath.Join(copyRoot, "examples", name)
	if err := os.WriteFile(filepath.Join(dir, "moto_override.tf"), []byte(providerOverride()), 0o644); err != nil {
		t.Fatal(err)
	}
	bootstrapZip, policyZip := artifacts(t, dir)
	allVars := map[string]interface{}{
		"authorizer_zip":   bootstrapZip,
		"policy_layer_zip": policyZip,
	}
	for k, v := range vars {
		allVars[k] = v
	}
	env := map[string]string{
		"AWS_ACCESS_KEY_ID":     "testing",
		"AWS_SECRET_ACCESS_KEY": "testing",
		"AWS_REGION":            region,
		"TF_IN_AUTOMATION":      "1",
	}
	if cfg := os.Getenv("TF_CLI_CONFIG_FILE"); cfg != "" {
		env["TF_CLI_CONFIG_FILE"] = cfg
	}
	return terraform.WithDefaultRetryableErrors(t, &terraform.Options{
		TerraformDir:    dir,
		TerraformBinary: tfBinary(t),
		Vars:            allVars,
		EnvVars:         env,
		NoColor:         true,
	})
}

// applyCheckDestroy applies, runs check, asserts that a second plan is empty, destroys and
// runs gone.
func applyCheckDestroy(t *testing.T, opts *terraform.Options, check func(), gone func()) {
	t.Helper()
	destroyed := false
	defer func() {
		if !destroyed {
			terraform.Destroy(t, opts)
		}
	}()
	terraform.InitAndApply(t, opts)
	check()
	if code := terraform.PlanExitCode(t, opts); code != 0 {
		out, _ := terraform.RunTerraformCommandE(t, opts, terraform.FormatArgs(opts, "plan", "-input=false", "-lock=false")...)
		t.Fatalf("second plan is not empty (exit code %d):\n%s", code, out)
	}
	terraform.Destroy(t, opts)
	destroyed = true
	gone()
}

type route struct {
	ID                string  `json:"id"`
	AuthorizationType string  `json:"authorization_type"`
	AuthorizerID      *string `json:"authorizer_id"`
}

func routesOutput(t *testing.T, opts *terraform.Options) map[string]route {
	t.Helper()
	var routes map[string]route
	if err := json.Unmarshal([]byte(terraform.OutputJson(t, opts, "routes")), &routes); err != nil {
		t.Fatal(err)
	}
	return routes
}

func isPublic(routeKey string) bool { return routeKey == "GET /health" }

// checkFunction asserts, through the Lambda API, the authorizer function's contract and
// that its resource policy lets exactly this API's authorizer invoke it.
func checkFunction(t *testing.T, opts *terraform.Options, authorizerID string) {
	t.Helper()
	ctx := context.Background()
	lc := lambda.NewFromConfig(awsConfig(t))
	name := terraform.Output(t, opts, "authorizer_function_name")
	fn, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	c := fn.Configuration
	if string(c.Runtime) != "provided.al2023" || aws.ToString(c.Handler) != "bootstrap" {
		t.Errorf("function runtime/handler = %s/%s, want provided.al2023/bootstrap", c.Runtime, aws.ToString(c.Handler))
	}
	layer := terraform.Output(t, opts, "policy_layer_arn")
	var layers []string
	for _, l := range c.Layers {
		layers = append(layers, aws.ToString(l.Arn))
	}
	if len(layers) != 1 || layers[0] != layer {
		t.Errorf("function layers = %v, want [%s]", layers, layer)
	}
	if c.Environment == nil || c.Environment.Variables["AUTHZ_POLICY_FILE"] != "/opt/gateway-policy.json" || c.Environment.Variables["AUTHZ_API_ID"] != "orders" {
		t.Errorf("function environment = %v", c.Environment)
	}
	pol, err := lc.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(aws.ToString(pol.Policy), "/authorizers/"+authorizerID) {
		t.Errorf("function policy does not scope the permission to the authorizer %s: %s", authorizerID, aws.ToString(pol.Policy))
	}
}

// checkFunctionGone asserts the function and its role are gone after destroy.
func checkFunctionGone(t *testing.T, functionName string) {
	t.Helper()
	ctx := context.Background()
	cfg := awsConfig(t)
	if _, err := lambda.NewFromConfig(cfg).GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(functionName)}); err == nil {
		t.Errorf("function %s still exists after destroy", functionName)
	}
	if _, err := iam.NewFromConfig(cfg).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(functionName)}); err == nil {
		t.Errorf("role %s still exists after destroy", functionName)
	}
}

func checkHTTPAPI(t *testing.T, opts *terraform.Options) {
	t.Helper()
	ctx := context.Background()
	apiID := terraform.Output(t, opts, "api_gateway_id")
	authorizerID := terraform.Output(t, opts, "authorizer_id")
	if url := terraform.Output(t, opts, "invoke_url"); !strings.Contains(url, apiID) {
		t.Errorf("invoke_url %q does not name the API %s", url, apiID)
	}
	outRoutes := routesOutput(t, opts)
	if len(outRoutes) != 3 {
		t.Errorf("routes output has %d routes, want 3", len(outRoutes))
	}

	gw := apigatewayv2.NewFromConfig(awsConfig(t))
	routes, err := gw.GetRoutes(ctx, &apigatewayv2.GetRoutesInput{ApiId: aws.String(apiID)})
	if err != nil {
		t.Fatal(err)
	}
	if len(routes.Items) != 3 {
		t.Errorf("API has %d routes, want 3", len(routes.Items))
	}
	for _, r := range routes.Items {
		key := aws.ToString(r.RouteKey)
		if isPublic(key) {
			if r.AuthorizationType != "NONE" || r.AuthorizerId != nil {
				t.Errorf("public route %s: authorization %s, authorizer %v; want NONE and none", key, r.AuthorizationType, aws.ToString(r.AuthorizerId))
			}
			continue
		}
		if r.AuthorizationType != "CUSTOM" || aws.ToString(r.AuthorizerId) != authorizerID {
			t.Errorf("protected route %s: authorization %s, authorizer %q; want CUSTOM and %s", key, r.AuthorizationType, aws.ToString(r.AuthorizerId), authorizerID)
		}
	}
	a, err := gw.GetAuthorizer(ctx, &apigatewayv2.GetAuthorizerInput{ApiId: aws.String(apiID), AuthorizerId: aws.String(authorizerID)})
	if err != nil {
		t.Fatal(err)
	}
	if a.AuthorizerType != "REQUEST" || aws.ToString(a.AuthorizerPayloadFormatVersion) != "2.0" || !aws.ToBool(a.EnableSimpleResponses) {
		t.Errorf("authorizer = %s payload %s simple %v; want REQUEST, 2.0, true", a.AuthorizerType, aws.ToString(a.AuthorizerPayloadFormatVersion), aws.ToBool(a.EnableSimpleResponses))
	}
	if aws.ToInt32(a.AuthorizerResultTtlInSeconds) != 0 {
		t.Errorf("authorizer TTL = %d, want 0", aws.ToInt32(a.AuthorizerResultTtlInSeconds))
	}
	checkFunction(t, opts, authorizerID)
}

func checkHTTPAPIGone(t *testing.T, apiID, functionName string) {
	t.Helper()
	gw := apigatewayv2.NewFromConfig(awsConfig(t))
	if _, err := gw.GetApi(context.Background(), &apigatewayv2.GetApiInput{ApiId: aws.String(apiID)}); err == nil {
		t.Errorf("API %s still exists after destroy", apiID)
	}
	checkFunctionGone(t, functionName)
}

func TestHTTPBasic(t *testing.T) {
	t.Parallel()
	opts := example(t, "http-basic", map[string]interface{}{"name": "orders-basic"})
	var apiID, fn string
	applyCheckDestroy(t, opts, func() {
		checkHTTPAPI(t, opts)
		apiID = terraform.Output(t, opts, "api_gateway_id")
		fn = terraform.Output(t, opts, "authorizer_function_name")
		if g := terraform.Output(t, opts, "access_log_group_name"); g != "/aws/apigateway/orders-basic/access" {
			t.Errorf("access_log_group_name = %q", g)
		}
	}, func() { checkHTTPAPIGone(t, apiID, fn) })
}

func TestHTTPPolicyStream(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ec := ec2.NewFromConfig(awsConfig(t))
	vpc, err := ec.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.42.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	vpcID := aws.ToString(vpc.Vpc.VpcId)
	var subnets []string
	for i, az := range []string{"eu-west-1a", "eu-west-1b"} {
		s, err := ec.CreateSubnet(ctx, &ec2.CreateSubnetInput{
			VpcId: aws.String(vpcID), CidrBlock: aws.String([]string{"10.42.1.0/24", "10.42.2.0/24"}[i]), AvailabilityZone: aws.String(az),
		})
		if err != nil {
			t.Fatal(err)
		}
		subnets = append(subnets, aws.ToString(s.Subnet.SubnetId))
	}
	t.Cleanup(func() {
		for _, s := range subnets {
			_, _ = ec.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: aws.String(s)})
		}
		_, _ = ec.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: aws.String(vpcID)})
	})

	// The cluster lives in the platform account (111122223333). moto has no
	// CreateVpcConnection, so the connection stays off here; its resource is covered by the
	// mocked `terraform test` runs.
	opts := example(t, "http-policy-stream", map[string]interface{}{
		"name":                  "orders-stream",
		"cluster_arn":           "arn:aws:kafka:eu-west-1:111122223333:cluster/platform/0a1b2c3d-4e5f-6789-abcd-ef0123456789-3",
		"bootstrap_brokers":     "b-1.platform.abc.c2.kafka.eu-west-1.amazonaws.com:14001,b-2.platform.abc.c2.kafka.eu-west-1.amazonaws.com:14002",
		"vpc_id":                vpcID,
		"subnet_ids":            subnets,
		"create_vpc_connection": false,
		"alarm_sns_topic_arn":   "arn:aws:sns:eu-west-1:123456789012:orders-oncall",
	})
	var apiID, fn, sg string
	applyCheckDestroy(t, opts, func() {
		checkHTTPAPI(t, opts)
		apiID = terraform.Output(t, opts, "api_gateway_id")
		fn = terraform.Output(t, opts, "authorizer_function_name")
		sg = terraform.Output(t, opts, "security_group_id")

		// The dashboard, and the alarms of a policy stream in unsigned mode (the example's
		// baked policy lists no publishers); the second plan being empty covers their queries.
		if d := terraform.Output(t, opts, "dashboard_name"); d != "orders-stream-gateway" {
			t.Errorf("dashboard_name = %q, want orders-stream-gateway", d)
		}
		alarms := terraform.OutputMap(t, opts, "alarm_arns")
		for _, k := range []string{"authorizer_errors", "api_server_errors", "policy_stale", "policy_events_rejected"} {
			if alarms[k] == "" {
				t.Errorf("alarm %s missing from %v", k, alarms)
			}
		}
		if len(alarms) != 4 {
			t.Errorf("alarms = %v, want the four of an unsigned policy stream", alarms)
		}

		fnc, err := lambda.NewFromConfig(awsConfig(t)).GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(fn)})
		if err != nil {
			t.Fatal(err)
		}
		env := fnc.Environment.Variables
		if env["AUTHZ_KAFKA_TOPIC"] != "gateway-policy.v1" || env["AUTHZ_KAFKA_AUTH"] != "msk-iam" || !strings.Contains(env["AUTHZ_KAFKA_BROKERS"], ":14001") {
			t.Errorf("policy-stream environment = %v", env)
		}
		if fnc.VpcConfig == nil || len(fnc.VpcConfig.SubnetIds) != 2 || len(fnc.VpcConfig.SecurityGroupIds) != 1 || fnc.VpcConfig.SecurityGroupIds[0] != sg {
			t.Errorf("function VPC config = %+v, want the two subnets and %s", fnc.VpcConfig, sg)
		}

		groups, err := ec.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{sg}})
		if err != nil {
			t.Fatal(err)
		}
		var egress []ec2types.IpPermission
		for _, g := range groups.SecurityGroups {
			egress = append(egress, g.IpPermissionsEgress...)
		}
		if len(egress) != 1 || aws.ToInt32(egress[0].FromPort) != 14001 || aws.ToInt32(egress[0].ToPort) != 14100 {
			t.Errorf("security group egress = %+v, want only TCP 14001-14100", egress)
		}

		var policy struct {
			Statement []struct {
				Action   []string
				Resource []string
			}
		}
		if err := json.Unmarshal([]byte(terraform.Output(t, opts, "msk_cluster_policy_json")), &policy); err != nil {
			t.Fatalf("msk_cluster_policy_json is not JSON: %v", err)
		}
		for _, s := range policy.Statement {
			for _, a := range s.Action {
				if strings.HasSuffix(a, ":*") {
					t.Errorf("cluster policy grants %s", a)
				}
			}
		}
	}, func() {
		checkHTTPAPIGone(t, apiID, fn)
		if out, err := ec.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{sg}}); err == nil && len(out.SecurityGroups) > 0 {
			t.Errorf("security group %s still exists after destroy", sg)
		}
	})
}

// openAPIOperation and openAPIDocument: the parts of the REST API's document (body) the
// tests read.
type openAPIOperation struct {
	Security    []map[string][]string `json:"security"`
	Integration struct {
		Type       string `json:"type"`
		HTTPMethod string `json:"httpMethod"`
		URI        string `json:"uri"`
	} `json:"x-amazon-apigateway-integration"`
}

type openAPIDocument struct {
	Paths      map[string]map[string]openAPIOperation `json:"paths"`
	Components struct {
		SecuritySchemes map[string]struct {
			AuthType   string `json:"x-amazon-apigateway-authtype"`
			Authorizer struct {
				Type           string `json:"type"`
				AuthorizerURI  string `json:"authorizerUri"`
				IdentitySource string `json:"identitySource"`
				TTL            *int   `json:"authorizerResultTtlInSeconds"`
			} `json:"x-amazon-apigateway-authorizer"`
		} `json:"securitySchemes"`
	} `json:"components"`
	GatewayResponses map[string]struct {
		StatusCode        *int              `json:"statusCode"`
		ResponseTemplates map[string]string `json:"responseTemplates"`
	} `json:"x-amazon-apigateway-gateway-responses"`
}

// restBody is the OpenAPI document of the example's REST API, from the state: moto 5.2 does
// not import every part of it (see TestREST), so those parts are checked in the document.
func restBody(t *testing.T, opts *terraform.Options) openAPIDocument {
	t.Helper()
	out, err := terraform.RunTerraformCommandAndGetStdoutE(t, opts, "show", "-json", "-no-color")
	if err != nil {
		t.Fatal(err)
	}
	var state struct {
		Values struct {
			RootModule json.RawMessage `json:"root_module"`
		} `json:"values"`
	}
	if err := json.Unmarshal([]byte(out), &state); err != nil {
		t.Fatal(err)
	}
	type module struct {
		Resources []struct {
			Address string                 `json:"address"`
			Values  map[string]interface{} `json:"values"`
		} `json:"resources"`
		ChildModules []json.RawMessage `json:"child_modules"`
	}
	var find func(raw json.RawMessage) (string, bool)
	find = func(raw json.RawMessage) (string, bool) {
		var m module
		if err := json.Unmarshal(raw, &m); err != nil {
			return "", false
		}
		for _, r := range m.Resources {
			if strings.HasSuffix(r.Address, "aws_api_gateway_rest_api.this") {
				body, ok := r.Values["body"].(string)
				return body, ok
			}
		}
		for _, c := range m.ChildModules {
			if b, ok := find(c); ok {
				return b, true
			}
		}
		return "", false
	}
	body, ok := find(state.Values.RootModule)
	if !ok {
		t.Fatal("no aws_api_gateway_rest_api.this with a body in the state")
	}
	var doc openAPIDocument
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatalf("body is not JSON: %v", err)
	}
	return doc
}

// restMethods maps "METHOD /path" to the API's methods, as moto holds them.
func restMethods(t *testing.T, gw *apigateway.Client, apiID string) map[string]*apigateway.GetMethodOutput {
	t.Helper()
	ctx := context.Background()
	res, err := gw.GetResources(ctx, &apigateway.GetResourcesInput{RestApiId: aws.String(apiID), Limit: aws.Int32(500)})
	if err != nil {
		t.Fatal(err)
	}
	methods := map[string]*apigateway.GetMethodOutput{}
	for _, r := range res.Items {
		for verb := range r.ResourceMethods {
			m, err := gw.GetMethod(ctx, &apigateway.GetMethodInput{RestApiId: aws.String(apiID), ResourceId: r.Id, HttpMethod: aws.String(verb)})
			if err != nil {
				t.Errorf("%s %s: %v", verb, aws.ToString(r.Path), err)
				continue
			}
			methods[verb+" "+aws.ToString(r.Path)] = m
		}
	}
	return methods
}

// The REST example, whose API is one OpenAPI document (body). moto 5.2.1's PutRestApi
// imports the paths, methods and x-amazon-apigateway-integration (type, httpMethod, uri,
// timeout, request parameters, connection type), and in overwrite mode drops what the
// document no longer holds. It does not import the security schemes
// (x-amazon-apigateway-authorizer: no authorizer is created, GetAuthorizers is empty, so
// authorizer_id is null), an operation's `security` (every method has no authorization
// type) or x-amazon-apigateway-gateway-responses (GetGatewayResponse finds none): those
// are checked in the document the module PUT, and against the API when moto holds them.
func TestREST(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// "existing": moto serves no AWS managed policies, so the account's API Gateway logging
	// role ("create" attaches AmazonAPIGatewayPushToCloudWatchLogs) cannot be made there; the
	// "create" path is covered by tftest/aws_defects.tftest.hcl against the mocked provider.
	opts := example(t, "rest", map[string]interface{}{"name": "orders-rest", "rest_account_logging": "existing"})
	var apiID, fn string
	applyCheckDestroy(t, opts, func() {
		apiID = terraform.Output(t, opts, "api_gateway_id")
		fn = terraform.Output(t, opts, "authorizer_function_name")
		// Null (so no output at all) where the API has no authorizer: moto (see above).
		authorizerID, err := terraform.OutputE(t, opts, "authorizer_id")
		if err != nil {
			authorizerID = ""
		}
		if url := terraform.Output(t, opts, "invoke_url"); !strings.Contains(url, apiID) || !strings.HasSuffix(url, "/v1") {
			t.Errorf("invoke_url = %q", url)
		}
		gw := apigateway.NewFromConfig(awsConfig(t))
		doc := restBody(t, opts)
		scheme, ok := doc.Components.SecuritySchemes["orders-rest-authorizer"]
		if !ok || scheme.AuthType != "custom" || scheme.Authorizer.Type != "request" || !strings.Contains(scheme.Authorizer.IdentitySource, "context.resourcePath") || scheme.Authorizer.TTL == nil || *scheme.Authorizer.TTL != 0 {
			t.Errorf("document's authorizer = %+v", doc.Components.SecuritySchemes)
		}
		methods := restMethods(t, gw, apiID)
		outRoutes := routesOutput(t, opts)
		if len(methods) != len(outRoutes) {
			t.Errorf("API has methods %v, want the %d routes", keysOf(methods), len(outRoutes))
		}
		for key := range outRoutes {
			verb, path, _ := strings.Cut(key, " ")
			m, ok := methods[key]
			if !ok {
				t.Errorf("%s: no such method in the API", key)
				continue
			}
			if m.MethodIntegration == nil || !strings.EqualFold(string(m.MethodIntegration.Type), "HTTP_PROXY") {
				t.Errorf("%s: integration %+v, want HTTP_PROXY", key, m.MethodIntegration)
			}
			op := doc.Paths[path][strings.ToLower(verb)]
			if isPublic(key) {
				if len(op.Security) != 0 {
					t.Errorf("public operation %s: security %v, want none", key, op.Security)
				}
				if at := aws.ToString(m.AuthorizationType); at != "" && at != "NONE" {
					t.Errorf("public method %s: authorization %s, want NONE", key, at)
				}
				continue
			}
			if len(op.Security) != 1 || op.Security[0]["orders-rest-authorizer"] == nil {
				t.Errorf("protected operation %s: security %v, want the authorizer's scheme", key, op.Security)
			}
			// moto 5.2.1 leaves it empty; a moto that imports `security` must say CUSTOM.
			if at := aws.ToString(m.AuthorizationType); at != "" && (at != "CUSTOM" || aws.ToString(m.AuthorizerId) != authorizerID) {
				t.Errorf("protected method %s: authorization %s, authorizer %q; want CUSTOM and %s", key, at, aws.ToString(m.AuthorizerId), authorizerID)
			}
		}
		if authorizerID != "" {
			a, err := gw.GetAuthorizer(ctx, &apigateway.GetAuthorizerInput{RestApiId: aws.String(apiID), AuthorizerId: aws.String(authorizerID)})
			if err != nil {
				t.Fatal(err)
			}
			if a.Type != "REQUEST" || !strings.Contains(aws.ToString(a.IdentitySource), "context.resourcePath") {
				t.Errorf("REST authorizer = %s %q", a.Type, aws.ToString(a.IdentitySource))
			}
		} else {
			t.Log("moto does not import x-amazon-apigateway-authorizer: authorizer checked in the document only")
		}
		// The module's error format: a fixed message and the request id, no authorizer context.
		for _, rt := range []apigwtypes.GatewayResponseType{apigwtypes.GatewayResponseTypeAccessDenied, apigwtypes.GatewayResponseTypeUnauthorized, apigwtypes.GatewayResponseTypeThrottled, apigwtypes.GatewayResponseTypeDefault5xx} {
			r, ok := doc.GatewayResponses[string(rt)]
			body := r.ResponseTemplates["application/json"]
			if !ok || !strings.Contains(body, `"requestId":"$context.requestId"`) || strings.Contains(body, "$context.authorizer") {
				t.Errorf("document's gateway response %s body = %q", rt, body)
			}
		}
		checkFunction(t, opts, "*")

		// Remove a route (an override of the example's module call, as a team would edit its
		// routes): one apply PUTs the document without it, which deletes the method, and
		// redeploys the stage.
		before, err := gw.GetStage(ctx, &apigateway.GetStageInput{RestApiId: aws.String(apiID), StageName: aws.String("v1")})
		if err != nil {
			t.Fatal(err)
		}
		override := `module "gateway" {
  routes = {
    "GET /orders/{id}" = { integration = { type = "http_proxy", uri = "${var.backend_url}/orders/{id}" } }
    "GET /health"      = { integration = { type = "http_proxy", uri = "${var.backend_url}/health" }, public = true }
  }
}
`
		if err := os.WriteFile(filepath.Join(opts.TerraformDir, "routes_override.tf"), []byte(override), 0o644); err != nil {
			t.Fatal(err)
		}
		terraform.Apply(t, opts)
		methods = restMethods(t, gw, apiID)
		if _, ok := methods["POST /orders"]; ok || len(methods) != 2 {
			t.Errorf("after removing POST /orders the API has methods %v, want GET /orders/{id} and GET /health", keysOf(methods))
		}
		after, err := gw.GetStage(ctx, &apigateway.GetStageInput{RestApiId: aws.String(apiID), StageName: aws.String("v1")})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(after.DeploymentId) == "" || aws.ToString(after.DeploymentId) == aws.ToString(before.DeploymentId) {
			t.Errorf("stage deployment %q after the removal, %q before: want a new one in the same apply", aws.ToString(after.DeploymentId), aws.ToString(before.DeploymentId))
		}
	}, func() {
		if _, err := apigateway.NewFromConfig(awsConfig(t)).GetRestApi(ctx, &apigateway.GetRestApiInput{RestApiId: aws.String(apiID)}); err == nil {
			t.Errorf("REST API %s still exists after destroy", apiID)
		}
		checkFunctionGone(t, fn)
	})
}

func keysOf[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	return keys
}

// createHostedZone makes a public Route 53 zone in moto and returns its id (without the
// /hostedzone/ prefix). Route 53's REST XML API directly: the test module has no Route 53 client.
func createHostedZone(t *testing.T, name string) string {
	t.Helper()
	body := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<CreateHostedZoneRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Name>%s</Name><CallerReference>%s</CallerReference></CreateHostedZoneRequest>`, name, t.Name())
	req, err := http.NewRequest(http.MethodPost, motoURL+"/2013-04-01/hostedzone", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/xml")
	resp, err := route53Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`<Id>/hostedzone/([A-Z0-9]+)</Id>`).FindSubmatch(out)
	if resp.StatusCode >= 300 || m == nil {
		t.Fatalf("CreateHostedZone %s: %d %s", name, resp.StatusCode, out)
	}
	return string(m[1])
}

// route53Do sends a Route 53 request to moto, which picks the service from the credential
// scope of the Authorization header (it does not check the signature).
func route53Do(req *http.Request) (*http.Response, error) {
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/route53/aws4_request, SignedHeaders=host, Signature=0")
	return http.DefaultClient.Do(req)
}

// recordSets lists the zone's record sets as "TYPE name" strings.
func recordSets(t *testing.T, zoneID string) []string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, motoURL+"/2013-04-01/hostedzone/"+zoneID+"/rrset", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := route53Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	var sets []string
	for _, m := range regexp.MustCompile(`(?s)<ResourceRecordSet>\s*<Name>([^<]+)</Name>\s*<Type>([^<]+)</Type>`).FindAllSubmatch(out, -1) {
		sets = append(sets, string(m[2])+" "+string(m[1]))
	}
	return sets
}

// The REST example with a custom domain: a requested certificate validated through the
// zone, the regional domain name (TLS 1.2) with the base path "orders", and A/AAAA aliases.
// moto issues a requested certificate after 60 s (MOTO_ACM_VALIDATION_WAIT), which the
// validation resource waits for. The HTTP API's domain name is covered by the mocked
// `terraform test` runs only: moto 5.2 returns no target domain name or hosted zone id for
// apigatewayv2 domain names, so no alias record can point at one.
func TestRESTCustomDomain(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	zoneID := createHostedZone(t, "example.com.")
	opts := example(t, "rest", map[string]interface{}{
		"name":                 "orders-rest-dns",
		"rest_account_logging": "existing",
		"domain_name":          "api.example.com",
		"hosted_zone_id":       zoneID,
	})
	applyCheckDestroy(t, opts, func() {
		apiID := terraform.Output(t, opts, "api_gateway_id")
		var dom struct {
			URL                string `json:"url"`
			RegionalDomainName string `json:"regional_domain_name"`
			CertificateARN     string `json:"certificate_arn"`
		}
		if err := json.Unmarshal([]byte(terraform.OutputJson(t, opts, "custom_domain")), &dom); err != nil {
			t.Fatal(err)
		}
		if dom.URL != "https://api.example.com/orders" || !strings.Contains(dom.CertificateARN, ":acm:") {
			t.Errorf("custom_domain = %+v", dom)
		}
		gw := apigateway.NewFromConfig(awsConfig(t))
		d, err := gw.GetDomainName(ctx, &apigateway.GetDomainNameInput{DomainName: aws.String("api.example.com")})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(d.RegionalCertificateArn) != dom.CertificateARN || d.SecurityPolicy != "TLS_1_2" || d.EndpointConfiguration == nil || len(d.EndpointConfiguration.Types) != 1 || d.EndpointConfiguration.Types[0] != "REGIONAL" {
			t.Errorf("domain name: certificate %s, policy %s, endpoint %+v; want %s, TLS_1_2, REGIONAL", aws.ToString(d.RegionalCertificateArn), d.SecurityPolicy, d.EndpointConfiguration, dom.CertificateARN)
		}
		m, err := gw.GetBasePathMapping(ctx, &apigateway.GetBasePathMappingInput{DomainName: aws.String("api.example.com"), BasePath: aws.String("orders")})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(m.RestApiId) != apiID || aws.ToString(m.Stage) != "v1" {
			t.Errorf("base path mapping = %s/%s, want %s/v1", aws.ToString(m.RestApiId), aws.ToString(m.Stage), apiID)
		}
		sets := strings.Join(recordSets(t, zoneID), ", ")
		for _, want := range []string{"A api.example.com.", "AAAA api.example.com.", "CNAME _"} {
			if !strings.Contains(sets, want) {
				t.Errorf("zone records %s lack %q", sets, want)
			}
		}
	}, func() {
		if _, err := apigateway.NewFromConfig(awsConfig(t)).GetDomainName(ctx, &apigateway.GetDomainNameInput{DomainName: aws.String("api.example.com")}); err == nil {
			t.Errorf("domain name api.example.com still exists after destroy")
		}
	})
}

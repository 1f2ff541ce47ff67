# tflint for the module, its submodules and examples: `tflint --recursive`.
# The AWS ruleset (tflint-ruleset-aws) is not available from the package sources this
# project builds from; the bundled terraform ruleset runs with every rule on.
config {
  call_module_type = "local"
}

plugin "terraform" {
  enabled = true
  preset  = "all"
}

# name, tags, topic and the MSK cluster ARN follow the rules of ../shared-inputs, which several
# submodules share; main.tf passes them there.

variable "name" {
  description = "Name prefix of the created security group, IAM policy and VPC connection."
  type        = string
}

variable "cluster_arn" {
  description = "ARN of the central MSK cluster that carries the policy topic."
  type        = string
}

variable "topic" {
  description = "Name of the policy topic."
  type        = string
  default     = "gateway-policy.v1"
  nullable    = false
}

variable "status_topic" {
  description = "Name of the status topic (docs/fleet.md), the only topic the authorizer may write: its role gets kafka-cluster:WriteData there and nowhere else. Null: no status reports, no write access at all."
  type        = string
  default     = "gateway-status.v1"

  validation {
    condition     = var.status_topic == null || can(regex("^[A-Za-z0-9._-]{1,249}$", var.status_topic))
    error_message = "status_topic must be a Kafka topic name: 1-249 characters of letters, digits, '.', '_' or '-' (no wildcards), or null."
  }
}

variable "group_prefix" {
  description = "Consumer-group name prefix the authorizer may describe/alter (librdkafka may want a group.id even with assign(); no offsets are committed)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9._-]{3,200}$", var.group_prefix))
    error_message = "group_prefix must be 3-200 characters of letters, digits, '.', '_' or '-' (no wildcards)."
  }
}

variable "role_name" {
  description = "Name of the IAM role to grant the topic access to (the authorizer's role). Null: only output the policy JSON."
  type        = string
  default     = null
}

variable "role_path" {
  description = "Path of that role (\"/\" or e.g. \"/gateway/\"): part of its ARN, the principal of the cluster policy. The `role_path` of the `iam` input of modules/shared-inputs."
  type        = string
  default     = "/"
  nullable    = false
}

variable "vpc_id" {
  description = "VPC of the authorizer's subnets."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "vpc_id must be a VPC id (vpc-...)."
  }
}

variable "subnet_ids" {
  description = "Subnets of the authorizer's ENIs (and of the multi-VPC connection). Across accounts they must sit in the cluster's AZ IDs."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) > 0 && alltrue([for s in var.subnet_ids : can(regex("^subnet-[0-9a-f]+$", s))])
    error_message = "subnet_ids must list at least one subnet id (subnet-...)."
  }
}

variable "security_group_ids" {
  description = "Existing security groups for the authorizer; empty: the module creates one that only reaches the brokers."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for s in var.security_group_ids : can(regex("^sg-[0-9a-f]+$", s))])
    error_message = "security_group_ids must be security group ids (sg-...)."
  }
}

variable "broker_cidr_blocks" {
  description = "Where the brokers (or, across accounts, the multi-VPC connection's endpoints) are; default: the VPC's CIDR block."
  type        = list(string)
  default     = null

  validation {
    condition     = var.broker_cidr_blocks == null || alltrue([for c in coalesce(var.broker_cidr_blocks, []) : can(cidrhost(c, 0)) && c != "0.0.0.0/0"])
    error_message = "broker_cidr_blocks must be IPv4 CIDR blocks, and not 0.0.0.0/0."
  }
}

variable "cross_account" {
  description = "Whether the cluster lives in another account (multi-VPC private connectivity, TCP 14001-14100). Null: decided by comparing the cluster ARN's account with the caller's."
  type        = bool
  default     = null
}

variable "create_vpc_connection" {
  description = "Across accounts, create the `aws_msk_vpc_connection` (SASL/IAM) in this account. Set false when it exists already."
  type        = bool
  default     = true
  nullable    = false
}

variable "brokers_known" {
  description = "Whether the bootstrap brokers are passed to the function. When false the function discovers them from the cluster ARN, so its role may call kafka:GetBootstrapBrokers and its security group may reach HTTPS."
  type        = bool
  default     = true
  nullable    = false
}

variable "https_egress_cidr_blocks" {
  description = "Where the function may reach the MSK API over HTTPS when brokers_known is false (a VPC endpoint's subnets or a NAT route)."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for c in var.https_egress_cidr_blocks : can(cidrhost(c, 0))])
    error_message = "https_egress_cidr_blocks must be IPv4 CIDR blocks."
  }
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}

#!/usr/bin/env bash
# Placeholder until this part lands.
echo "tf-check: nothing here yet"

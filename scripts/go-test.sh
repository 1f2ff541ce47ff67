#!/usr/bin/env bash
# Placeholder until this part lands.
echo "go-test: nothing here yet"

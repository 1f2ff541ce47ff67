#!/usr/bin/env bash
# Placeholder until this part lands.
echo "integration: nothing here yet"

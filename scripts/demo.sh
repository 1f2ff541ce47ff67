#!/usr/bin/env bash
# Placeholder until this part lands.
echo "demo: nothing here yet"

#!/usr/bin/env bash
# Placeholder until this part lands.
echo "bench: nothing here yet"

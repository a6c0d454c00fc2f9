"""GGUF files for llama.cpp: conversion from a Hugging Face folder (`harness convert-gguf`),
quantization, and the names of GGUF file types."""

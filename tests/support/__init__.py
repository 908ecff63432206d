"""Test helpers shared by every suite: canned events, Lambda context, handler loading."""

"""The MQTT control API: topics, commands in, replies, state and events out."""

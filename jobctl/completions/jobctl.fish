complete --command jobctl --no-files --arguments "(env _JOBCTL_COMPLETE=complete_fish _TYPER_COMPLETE_FISH_ACTION=get-args _TYPER_COMPLETE_ARGS=(commandline -cp) jobctl)"

_jobctl_completion() {
    local IFS=$'\n' words=() cword=0 i word rest=$COMP_LINE trimmed glued
    # Readline splits PROVIDER:ID and ARNs at COMP_WORDBREAKS' ':'; join the pieces again.
    for (( i = 0; i < ${#COMP_WORDS[@]}; i++ )); do
        word=${COMP_WORDS[i]}
        trimmed=${rest#"${rest%%[![:space:]]*}"}
        glued=$(( i > 0 && ${#trimmed} == ${#rest} ))
        rest=${trimmed:${#word}}
        if (( glued )) && [[ $word == :* || ${words[-1]} == *: ]]; then
            words[-1]+=$word
        else
            words+=("$word")
        fi
        (( i == COMP_CWORD )) && cword=$(( ${#words[@]} - 1 ))
    done
    COMPREPLY=( $( env COMP_WORDS="${words[*]}" \
                   COMP_CWORD=$cword \
                   _JOBCTL_COMPLETE=complete_bash $1 ) )
    # Readline replaces only what follows the last ':' of the word.
    local current=${words[cword]}
    if [[ $current == *:* && $COMP_WORDBREAKS == *:* ]]; then
        local colon=${current%"${current##*:}"}
        COMPREPLY=( "${COMPREPLY[@]#"$colon"}" )
    fi
    return 0
}

complete -F _jobctl_completion jobctl

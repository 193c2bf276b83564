# bash completion for tessera(1)
_tessera()
{
	local cur prev words cword
	_init_completion || return

	local common="--module --pin --pin-file --json --yes --quiet --help"
	local commands="list module token keygen request import sign-text verify random logout watch"
	local cmd="" i
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		--module) ((i++)) ;;
		-*) ;;
		*) cmd=${words[i]}; break ;;
		esac
	done

	case $prev in
	--module | --pin-file | --so-pin-file | --new-pin-file | --in | --out | --content | --ca | \
		--p12 | --p12-pass-file | --archive-to)
		_filedir
		return
		;;
	--nss-db)
		_filedir -d
		return
		;;
	--type)
		COMPREPLY=($(compgen -W "rsa:2048 rsa:3072 rsa:4096 ec:p256 ec:p384 ed25519" -- "$cur"))
		return
		;;
	--format)
		COMPREPLY=($(compgen -W "pkcs10 crmf" -- "$cur"))
		return
		;;
	--pin | --so-pin | --new-pin | --label | --subject | --san | --digest | --exec | --count | \
		--interval | --key | --token)
		return
		;;
	esac

	if [ -z "$cmd" ]; then
		COMPREPLY=($(compgen -W "$commands --module --json --yes --quiet --help --version" -- "$cur"))
		return
	fi

	local opts=""
	case $cmd in
	list) opts="modules slots tokens objects mechanisms --login" ;;
	module) opts="add remove list --nss-db --system" ;;
	token) opts="init set-pin unlock --label --so --so-pin --so-pin-file --new-pin --new-pin-file" ;;
	keygen) opts="--type --label --token --extractable" ;;
	request) opts="--key --subject --san --format --digest --pem --der --out --archive-to" ;;
	import) opts="--label --ca --token --p12 --p12-pass-file" ;;
	sign-text) opts="--key --detached --in --der --pem --out" ;;
	verify) opts="--ca --in --content --out" ;;
	random) opts="--hex --base64 --raw" ;;
	logout) opts="" ;;
	watch) opts="--exec --count --interval" ;;
	esac
	COMPREPLY=($(compgen -W "$opts $common" -- "$cur"))
	[ "$cmd" = import ] && [[ $cur != -* ]] && _filedir
}
complete -F _tessera tessera
